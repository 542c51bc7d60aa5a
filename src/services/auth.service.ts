import type { JWTPayload } from 'jose';
import type { Config } from '../config/config.schema.js';
import { UnauthorizedError, ValidationError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { isTenantId, TENANT_ID_RULE } from '../core/tenant.js';

/**
 * Bearer JWT authentication. With auth off every caller is the default tenant; with it on, a valid
 * token is required and its `tenant` claim (or the default tenant) scopes every query.
 */
export class AuthService {
  private readonly key: Uint8Array | undefined;

  constructor(private readonly config: Config['auth']) {
    this.key = config.secret ? new TextEncoder().encode(config.secret) : undefined;
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** `audience`: the token must name it in `aud` (internal calls between processes); else any audience passes. */
  async authenticate(authorization: string | undefined, audience?: string): Promise<Principal> {
    if (!this.config.enabled || !this.key) return { tenantId: this.config.defaultTenant };
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthorizedError('Missing bearer token (Authorization: Bearer <jwt>)');
    let payload: JWTPayload;
    try {
      // jose is loaded on first use: most deployments run without auth and need not pay for it at start-up.
      const { jwtVerify } = await import('jose');
      ({ payload } = await jwtVerify(token, this.key, { algorithms: [this.config.algorithm], audience }));
    } catch (error) {
      throw new UnauthorizedError(`Invalid bearer token: ${(error as Error).message}`);
    }
    // A token without a `tenant` claim is the default tenant's; a claim that breaks the tenant rule is refused, never
    // mapped to the default nor normalised (PostgreSQL would turn lone surrogates into U+FFFD and merge tenants).
    const roles = rolesOf(payload.roles);
    const extra = roles ? { subject: payload.sub, roles } : { subject: payload.sub };
    if (payload.tenant === undefined) return { tenantId: this.config.defaultTenant, ...extra };
    if (!isTenantId(payload.tenant)) {
      throw new UnauthorizedError(`Invalid bearer token: the 'tenant' claim ${TENANT_ID_RULE}`);
    }
    return { tenantId: payload.tenant, ...extra };
  }

  /**
   * Signs a bearer token for a subject in a tenant (the operators' `session-buddy token` command, tests). Lifetime:
   * `ttlSeconds`, else `auth.expireMinutes`; `roles` go into a `roles` claim.
   */
  async issue(subject: string, tenant: string, options: IssueOptions = {}): Promise<string> {
    if (!this.key) throw new UnauthorizedError('auth.secret is not set; cannot issue tokens');
    const problems = [
      subject.trim() ? undefined : { field: 'subject', message: 'must not be empty' },
      isTenantId(tenant) ? undefined : { field: 'tenant', message: TENANT_ID_RULE },
      options.ttlSeconds === undefined || (Number.isInteger(options.ttlSeconds) && options.ttlSeconds > 0)
        ? undefined
        : { field: 'ttl', message: 'must be a positive whole number of seconds' },
      (options.roles ?? []).every((role) => /^\S+$/.test(role))
        ? undefined
        : { field: 'roles', message: 'must be names without spaces' },
    ].filter((p) => p !== undefined);
    if (problems.length > 0) {
      throw new ValidationError(
        `Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        problems,
      );
    }
    const ttlSeconds = options.ttlSeconds ?? this.config.expireMinutes * 60;
    const { SignJWT } = await import('jose');
    const jwt = new SignJWT(options.roles?.length ? { tenant, roles: options.roles } : { tenant })
      .setProtectedHeader({ alg: this.config.algorithm })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`);
    if (options.audience) jwt.setAudience(options.audience);
    return jwt.sign(this.key);
  }
}

/** The `roles` claim as names; anything but an array of strings grants no role. */
function rolesOf(claim: unknown): string[] | undefined {
  if (!Array.isArray(claim)) return undefined;
  const roles = claim.filter((r): r is string => typeof r === 'string');
  return roles.length > 0 ? roles : undefined;
}

export interface IssueOptions {
  /** Lifetime in seconds. (Default: auth.expireMinutes) */
  ttlSeconds?: number;
  /** Written to the token's `roles` claim. */
  roles?: string[];
  /** Written to the token's `aud` claim (a token for internal calls only). */
  audience?: string;
}
