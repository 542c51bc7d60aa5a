import { ForbiddenError } from './errors.js';
import { type Principal, ROLES, type Role } from './principal.js';

/**
 * What an operation needs the caller to be allowed to do, declared once per operation (`scope`): `read` reads its
 * tenant's data, `write` changes it, `admin` acts on the service itself (dead letters, queue statistics).
 */
export type Scope = 'read' | 'write' | 'admin';

export { ROLES, type Role } from './principal.js';

/**
 * The role matrix (docs/security.md): which scopes each role opens. `operator` looks after the service (dead
 * letters, queues, admin pages) and reads, but does not change a tenant's data; `admin` may do everything.
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  reader: ['read'],
  writer: ['read', 'write'],
  operator: ['read', 'admin'],
  admin: ['read', 'write', 'admin'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The roles that open a scope, e.g. `admin` → operator, admin. */
export function rolesFor(scope: Scope): Role[] {
  return ROLES.filter((role) => ROLE_SCOPES[role].includes(scope));
}

/** The caller's roles: a principal without `roles` is an in-process caller with every role (auth off, stdio, CLI). */
export function rolesOf(principal: Principal): readonly Role[] {
  return principal.roles ?? ROLES;
}

export function mayUse(principal: Principal, scope: Scope): boolean {
  return rolesOf(principal).some((role) => ROLE_SCOPES[role].includes(scope));
}

/** Refuses (403 / MCP isError) a caller whose roles do not open `scope`, naming the roles that would. */
export function assertMayUse(principal: Principal, scope: Scope, what: string): void {
  if (mayUse(principal, scope)) return;
  const held = rolesOf(principal);
  throw new ForbiddenError(
    `${what} needs the ${rolesFor(scope).join(' or ')} role (scope '${scope}'); the token's roles are ${
      held.length ? held.join(', ') : 'none'
    }`,
  );
}
