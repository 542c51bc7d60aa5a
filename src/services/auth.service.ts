import type { Config } from '../config/config.schema.js';
import { UnauthorizedError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

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

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!this.config.enabled || !this.key) return { tenantId: this.config.defaultTenant };
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthorizedError('Missing bearer token (Authorization: Bearer <jwt>)');
    try {
      // jose is loaded on first use: most deployments run without auth and need not pay for it at start-up.
      const { jwtVerify } = await import('jose');
      const { payload } = await jwtVerify(token, this.key, { algorithms: [this.config.algorithm] });
      const tenant = typeof payload.tenant === 'string' && payload.tenant ? payload.tenant : this.config.defaultTenant;
      return { tenantId: tenant, subject: payload.sub };
    } catch (error) {
      throw new UnauthorizedError(`Invalid bearer token: ${(error as Error).message}`);
    }
  }

  /** Issues a token for a tenant (CLI `token`, tests). */
  async issue(subject: string, tenant: string): Promise<string> {
    if (!this.key) throw new UnauthorizedError('auth.secret is not set; cannot issue tokens');
    const { SignJWT } = await import('jose');
    return new SignJWT({ tenant })
      .setProtectedHeader({ alg: this.config.algorithm })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${this.config.expireMinutes}m`)
      .sign(this.key);
  }
}
