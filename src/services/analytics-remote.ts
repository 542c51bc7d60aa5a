import type { OwnerInfo } from '../analytics/analytics-owner.js';
import { decodeResult, INTERNAL_ANALYTICS_PATH, INTERNAL_AUDIENCE } from '../analytics/analytics-wire.js';
import { isSessionBuddyError, UnavailableError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Breaker } from '../resilience/breaker-registry.js';
import { ANALYTICS_READS, type AnalyticsReadName, type AnalyticsReads } from './analytics.service.js';
import type { AuthService } from './auth.service.js';

/** Seconds a client is told to wait (Retry-After) when no owner answers. */
const RETRY_AFTER_SECONDS = 5;

export const NO_OWNER_MESSAGE =
  'analytics are unavailable: no process holds the analytics database; start a worker that consumes the ' +
  'analytics queue: session-buddy worker --queues analytics';

export interface RemoteAnalyticsOptions {
  /** Where the owner registered (OwnerRegistry). */
  registry: { lookup(): Promise<OwnerInfo | undefined> };
  /** The `analytics` breaker: owners that do not answer are not called for a while. */
  breaker: Breaker;
  /** Signs the short-lived token of each call when auth is on. */
  auth: Pick<AuthService, 'enabled' | 'issue'>;
  /** How long to wait for the owner's answer (its first byte for a streamed one). */
  timeoutMs: number;
  /** How long a looked-up owner URL is reused; a connection failure drops it at once. (Default: 2000) */
  cacheMs?: number;
}

/**
 * Analytics reads of a process that does not hold the DuckDB file (an API process in standard mode): each call
 * goes to the analytics owner's `POST /internal/analytics/<method>` (see analytics-wire.ts), found in Redis, with a
 * timeout and behind the `analytics` breaker. Answers, errors included, are the ones the owner's AnalyticsService
 * gave, so REST and MCP answer as in lite mode.
 */
export class RemoteAnalytics {
  private cached: { url: string; until: number } | undefined;

  constructor(private readonly options: RemoteAnalyticsOptions) {}

  /** The AnalyticsReads whose every method is forwarded to the owner. */
  reads(): AnalyticsReads {
    const reads: Record<string, (principal: Principal, ...args: unknown[]) => Promise<unknown>> = {};
    for (const name of ANALYTICS_READS) reads[name] = (principal, ...args) => this.call(name, principal, args);
    return reads as unknown as AnalyticsReads;
  }

  /** Calls `method` on the owner; a connection failure looks the owner up again and tries the new one once. */
  async call(method: AnalyticsReadName, principal: Principal, args: unknown[]): Promise<unknown> {
    const url = await this.ownerUrl();
    let response: Response;
    try {
      response = await this.send(url, method, principal, args);
    } catch (error) {
      this.cached = undefined;
      const next = await this.ownerUrl();
      if (next === url) throw unreachable(url, error, this.options.timeoutMs);
      response = await this.send(next, method, principal, args).catch((again: unknown) => {
        throw unreachable(next, again, this.options.timeoutMs);
      });
    }
    return decodeResult(response);
  }

  /** Throws the 503 naming the fix when no owner is registered (for /readyz). */
  async checkOwner(): Promise<void> {
    await this.ownerUrl();
  }

  private async ownerUrl(): Promise<string> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.url;
    let owner: OwnerInfo | undefined;
    try {
      owner = await this.options.registry.lookup();
    } catch (error) {
      throw new UnavailableError(
        `analytics are unavailable: cannot look the analytics owner up in Redis: ${(error as Error).message}`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (!owner) throw new UnavailableError(NO_OWNER_MESSAGE, RETRY_AFTER_SECONDS);
    this.cached = { url: owner.url, until: Date.now() + (this.options.cacheMs ?? 2000) };
    return owner.url;
  }

  /** One request through the breaker; resolves with any answer (a problem is not a failure of the owner). */
  private async send(url: string, method: string, principal: Principal, args: unknown[]): Promise<Response> {
    const { auth, breaker, timeoutMs } = this.options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth.enabled) {
      const token = await auth.issue(principal.subject ?? 'session-buddy', principal.tenantId, {
        ttlSeconds: 60,
        audience: INTERNAL_AUDIENCE,
      });
      headers.authorization = `Bearer ${token}`;
    }
    return breaker.run(async () => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        // Resolves at the answer's headers; a streamed body is read later by the caller, without this timeout.
        return await fetch(`${url}${INTERNAL_ANALYTICS_PATH}/${method}`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ principal, args }),
          signal: abort.signal,
        });
      } finally {
        clearTimeout(timer);
      }
    });
  }
}

function unreachable(url: string, error: unknown, timeoutMs: number): Error {
  if (isSessionBuddyError(error)) return error;
  const e = error as Error & { cause?: Error };
  const why = e.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message);
  return new UnavailableError(
    `analytics are unavailable: the analytics owner at ${url} did not answer (${why})`,
    RETRY_AFTER_SECONDS,
  );
}
