import type { Hono } from 'hono';
import {
  encodeResult,
  INTERNAL_ANALYTICS_PATH,
  INTERNAL_AUDIENCE,
  parseInternalCall,
} from '../../analytics/analytics-wire.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../core/errors.js';
import { ANALYTICS_READS, type AnalyticsReadName, type AnalyticsReads } from '../../services/analytics.service.js';
import type { AuthService } from '../../services/auth.service.js';
import { fastBodyLimit } from '../body-limit.js';

export interface InternalAnalyticsDeps {
  /** The local AnalyticsService of this process. */
  analytics: AnalyticsReads;
  auth: AuthService;
  /** Whether this process holds the analytics database now (a standby answers 503). */
  isOwner: () => boolean;
  bodyLimitBytes: number;
}

const READS = new Set<string>(ANALYTICS_READS);

/**
 * `POST /internal/analytics/:method`: the analytics owner serves other processes' analytics reads (see
 * analytics-wire.ts). Only the methods in ANALYTICS_READS are callable. With auth on, a token signed with
 * `auth.secret` for the audience `session-buddy-internal` is required and its tenant is the principal; with auth
 * off the body's principal is taken as is, like the rest of the API (keep the worker listener unexposed).
 */
export function mountInternalAnalytics(app: Hono, deps: InternalAnalyticsDeps): void {
  app.post(`${INTERNAL_ANALYTICS_PATH}/:method`, fastBodyLimit(deps.bodyLimitBytes), async (c) => {
    const verified = await deps.auth.authenticate(c.req.header('authorization'), INTERNAL_AUDIENCE);
    const method = c.req.param('method');
    if (!READS.has(method)) throw new NotFoundError('analytics method', method);
    if (!deps.isOwner()) {
      throw new UnavailableError('this process is an analytics standby: another process holds the database', 1);
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      throw new ValidationError(`Invalid input: body: is not valid JSON (${(error as Error).message})`, [
        { field: 'body', message: 'is not valid JSON' },
      ]);
    }
    const call = parseInternalCall(body);
    const principal = deps.auth.enabled ? verified : call.principal;
    const read = deps.analytics[method as AnalyticsReadName] as (...args: unknown[]) => Promise<unknown>;
    return encodeResult(await read.call(deps.analytics, principal, ...call.args));
  });
}
