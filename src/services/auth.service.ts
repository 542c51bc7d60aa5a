import { readFileSync } from 'node:fs';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { Config } from '../config/config.schema.js';
import { ConfigError, UnauthorizedError, ValidationError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { isRole, ROLES, type Role } from '../core/roles.js';
import { isTenantId, TENANT_ID_RULE } from '../core/tenant.js';

/** Algorithms of tokens signed elsewhere and verified with a JWKS (`auth.jwksFile`, `auth.jwksUrl`). */
export const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;
/** How long one JWKS fetch may take, and how long a fetched set is trusted before it is fetched again. */
const JWKS_TIMEOUT_MS = 5_000;
const JWKS_CACHE_MS = 10 * 60_000;

/** The `project` claim, when present: 1 to 200 characters, no control characters. */
const PROJECT_CLAIM = /^[^\p{Cc}]{1,200}$/u;

/**
 * Bearer JWT authentication. With auth off every caller is the default tenant with every role; with it on, a valid
 * token is required: signed with `auth.secret` (HS*) or by a key of the JWKS (RS256/ES256), with an `exp`, the
 * configured `iss`/`aud` when set; its `tenant` claim (or the default tenant) scopes every query and its `roles`
 * claim (or `auth.defaultRole`) says which operations it may call (core/roles.ts).
 */
export class AuthService {
  private readonly key: Uint8Array | undefined;
  private readonly jwksFile: JSONWebKeySet | undefined;
  private jwks: Promise<JWTVerifyGetKey | undefined> | undefined;

  constructor(private readonly config: Config['auth']) {
    this.key = config.secret ? new TextEncoder().encode(config.secret) : undefined;
    this.jwksFile = config.jwksFile ? readJwksFile(config.jwksFile) : undefined;
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** `audience`: the token must name it in `aud` (internal calls between processes); else `auth.audience`, if set. */
  async authenticate(authorization: string | undefined, audience?: string): Promise<Principal> {
    if (!this.config.enabled) return { tenantId: this.config.defaultTenant };
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthorizedError('Missing bearer token (Authorization: Bearer <jwt>)');
    let payload: JWTPayload;
    try {
      // jose is loaded on first use: most deployments run without auth and need not pay for it at start-up.
      const { jwtVerify } = await import('jose');
      const jwks = await this.jwksKeys();
      const algorithms = [...(this.key ? [this.config.algorithm] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
      const key: JWTVerifyGetKey = (header, input) => {
        if (header.alg?.startsWith('HS')) {
          if (this.key) return this.key;
        } else if (jwks) {
          return jwks(header, input);
        }
        throw new Error(`no key for alg ${header.alg}`);
      };
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        requiredClaims: ['exp'],
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...((audience ?? this.config.audience) ? { audience: audience ?? this.config.audience } : {}),
      }));
    } catch (error) {
      throw new UnauthorizedError(`Invalid bearer token: ${(error as Error).message}`);
    }
    // A token without a `tenant` claim is the default tenant's; a claim that breaks the tenant rule is refused, never
    // mapped to the default nor normalised (PostgreSQL would turn lone surrogates into U+FFFD and merge tenants).
    if (payload.tenant !== undefined && !isTenantId(payload.tenant)) {
      throw new UnauthorizedError(`Invalid bearer token: the 'tenant' claim ${TENANT_ID_RULE}`);
    }
    if (payload.project !== undefined && !isProject(payload.project)) {
      throw new UnauthorizedError("Invalid bearer token: the 'project' claim must be a string of 1 to 200 characters");
    }
    return {
      tenantId: payload.tenant ?? this.config.defaultTenant,
      ...(payload.sub === undefined ? {} : { subject: payload.sub }),
      roles: payload.roles === undefined ? [this.config.defaultRole] : rolesOf(payload.roles),
      ...(payload.project === undefined ? {} : { project: payload.project }),
    };
  }

  /**
   * Signs a bearer token for a subject in a tenant with `auth.secret` (`session-buddy token create`, internal calls,
   * tests). Lifetime: `ttlSeconds`, else `auth.expireMinutes`; `roles` and `project` go into claims of those names;
   * `iss` and `aud` are `auth.issuer` and `auth.audience` when set.
   */
  async issue(subject: string, tenant: string, options: IssueOptions = {}): Promise<string> {
    if (!this.key) throw new UnauthorizedError('auth.secret is not set; cannot issue tokens');
    const problems = [
      subject.trim() ? undefined : { field: 'subject', message: 'must not be empty' },
      isTenantId(tenant) ? undefined : { field: 'tenant', message: TENANT_ID_RULE },
      options.ttlSeconds === undefined || (Number.isInteger(options.ttlSeconds) && options.ttlSeconds > 0)
        ? undefined
        : { field: 'ttl', message: 'must be a positive whole number of seconds' },
      (options.roles ?? []).every(isRole) ? undefined : { field: 'roles', message: `must be of ${ROLES.join(', ')}` },
      options.project === undefined || isProject(options.project)
        ? undefined
        : { field: 'project', message: 'must be 1 to 200 characters without control characters' },
    ].filter((p) => p !== undefined);
    if (problems.length > 0) {
      throw new ValidationError(
        `Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        problems,
      );
    }
    const ttlSeconds = options.ttlSeconds ?? this.config.expireMinutes * 60;
    const { SignJWT } = await import('jose');
    const jwt = new SignJWT({
      tenant,
      ...(options.roles?.length ? { roles: options.roles } : {}),
      ...(options.project === undefined ? {} : { project: options.project }),
    })
      .setProtectedHeader({ alg: this.config.algorithm, typ: 'JWT' })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`);
    const audience = options.audience ?? this.config.audience;
    if (audience) jwt.setAudience(audience);
    if (this.config.issuer) jwt.setIssuer(this.config.issuer);
    return jwt.sign(this.key);
  }

  /** The JWKS key resolver, built once: the file's set, or the URL's (fetched on demand with a timeout, cached). */
  private jwksKeys(): Promise<JWTVerifyGetKey | undefined> {
    this.jwks ??= (async () => {
      const { createLocalJWKSet, createRemoteJWKSet } = await import('jose');
      const local = this.jwksFile ? createLocalJWKSet(this.jwksFile) : undefined;
      const remote = this.config.jwksUrl
        ? createRemoteJWKSet(new URL(this.config.jwksUrl), {
            timeoutDuration: JWKS_TIMEOUT_MS,
            cacheMaxAge: JWKS_CACHE_MS,
          })
        : undefined;
      if (local && remote) {
        return (async (header, input) => {
          try {
            return await local(header, input);
          } catch {
            return remote(header, input);
          }
        }) as JWTVerifyGetKey;
      }
      return (local ?? remote) as JWTVerifyGetKey | undefined;
    })();
    return this.jwks;
  }
}

/** The `roles` claim: the known role names in an array of strings (or one string); anything else grants no role. */
function rolesOf(claim: unknown): Role[] {
  const names = typeof claim === 'string' ? claim.split(/[\s,]+/) : Array.isArray(claim) ? claim : [];
  return [...new Set(names.filter(isRole))];
}

function isProject(value: unknown): value is string {
  return typeof value === 'string' && PROJECT_CLAIM.test(value);
}

function readJwksFile(path: string): JSONWebKeySet {
  let set: unknown;
  try {
    set = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Invalid configuration: auth.jwksFile: cannot read ${path} (${(error as Error).message})`);
  }
  if (typeof set !== 'object' || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
    throw new ConfigError(`Invalid configuration: auth.jwksFile: ${path} is not a JWKS ({"keys": [...]})`);
  }
  return set as JSONWebKeySet;
}

export interface IssueOptions {
  /** Lifetime in seconds. (Default: auth.expireMinutes) */
  ttlSeconds?: number;
  /** Written to the token's `roles` claim. */
  roles?: Role[];
  /** Written to the token's `project` claim: the token may act in that project only. */
  project?: string;
  /** Written to the token's `aud` claim. (Default: auth.audience) */
  audience?: string;
}
