import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../core/errors.js';
import { assertMayUse } from '../core/roles.js';
import type { AuthService } from '../services/auth.service.js';

/**
 * `/metrics` shows every tenant's request and job counts, so with auth on it is for operators: a bearer that is
 * `metrics.token` (Prometheus `authorization: { credentials_file: … }`), or a JWT with the operator or admin role
 * (401 without a valid bearer, 403 without the role). With auth off it is open, like the rest of the API; keep the
 * port unexposed then.
 */
export function metricsGuard(auth: AuthService, metricsToken: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (auth.enabled) {
      const authorization = c.req.header('authorization');
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (!(metricsToken && bearer && sameText(bearer, metricsToken))) {
        const principal = await auth.authenticate(authorization).catch((error: unknown) => {
          throw error instanceof UnauthorizedError ? error : new UnauthorizedError();
        });
        assertMayUse(principal, 'admin', '/metrics');
      }
    }
    await next();
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
