import { SessionBuddyError } from './errors.js';

/** Who is calling: every query is scoped to the principal's tenant. */
export interface Principal {
  tenantId: string;
  /** Subject of the bearer token, when auth is on. */
  subject?: string;
  /** The token's `roles` claim (names), when auth is on. */
  roles?: string[];
}

/** Roles (a token's `roles` claim) that may act on every tenant: admin pages, snapshots. */
export const ADMIN_ROLES: readonly string[] = ['operator', 'admin'];

/**
 * Refuses (403) a caller who may not act on every tenant: with auth on, a token without an ADMIN_ROLES role. With
 * auth off there is no token (no subject) and one local user, who may.
 */
export function assertOperator(principal: Principal, what: string): void {
  if (principal.subject === undefined) return;
  if ((principal.roles ?? []).some((role) => ADMIN_ROLES.includes(role))) return;
  throw new SessionBuddyError(
    'forbidden',
    403,
    `${what} holds every tenant's data: it needs a bearer token with the ${ADMIN_ROLES.join(' or ')} role`,
  );
}
