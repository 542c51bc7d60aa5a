import type { Config } from '../config/config.schema.js';
import { RateLimitedError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
}

/** Buckets kept before idle (full) ones are dropped: memory stays bounded whatever the callers. */
const MAX_BUCKETS = 10_000;

/**
 * Token buckets per principal (tenant + token subject), in this process's memory: each holds up to
 * `rateLimit.burst` calls and refills `rateLimit.perSecond` calls a second. Every operation call (a REST request,
 * each call of an MCP JSON-RPC batch) takes one token, through the operation runner that REST, MCP and the CLI
 * share. With N API replicas a principal gets up to N times the rate (docs/security.md).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: Config['rateLimit'],
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for the principal, or throws RateLimitedError with the seconds until one is back. */
  take(principal: Principal): void {
    if (!this.config.enabled) return;
    const key = `${principal.tenantId}\u0000${principal.subject ?? ''}`;
    const now = this.now();
    const { perSecond, burst } = this.config;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)));
    }
    bucket.tokens -= 1;
    this.buckets.delete(key); // re-inserted last: the map stays in least-recently-used order
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.prune(now);
  }

  /** Drops the least recently used buckets: one idle for burst/perSecond seconds is full again, as if new. */
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.buckets.size <= MAX_BUCKETS / 2) break;
      const full = bucket.tokens + ((now - bucket.at) / 1000) * this.config.perSecond >= this.config.burst;
      if (full || this.buckets.size > MAX_BUCKETS) this.buckets.delete(key);
    }
  }
}
