import type { Config } from '../config/config.schema.js';
import { RateLimitedError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

/**
 * Token buckets per principal (tenant + token subject): each holds up to `rateLimit.burst` calls and refills
 * `rateLimit.perSecond` calls a second. Every operation call (a REST request, each call of an MCP JSON-RPC batch, a
 * CLI `call`) takes one token in the operation runner that REST, MCP and the CLI share. Two implementations, chosen
 * at the composition root: InMemoryRateLimiter (this process; lite) and RedisRateLimiter (one budget across
 * replicas; standard, `rateLimit.shared`).
 */
export interface RateLimiter {
  /** Takes one token for the principal, or rejects with RateLimitedError and the seconds until one is back. */
  take(principal: Principal): Promise<void>;
  close(): void;
}

/** The bucket of a principal: tenant plus token subject (none with auth off: the whole tenant). */
export function bucketName(principal: Principal): string {
  return `${principal.tenantId}\u0000${principal.subject ?? ''}`;
}

/** Seconds a refused caller waits until `tokens` (< 1) is back to one call, at least 1 (the Retry-After header). */
export function retryAfterSeconds(tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / perSecond));
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
}

/** Buckets kept before idle (full) ones are dropped: memory stays bounded whatever the callers. */
const MAX_BUCKETS = 10_000;

/**
 * The buckets in this process's memory: with N API replicas a principal gets up to N times the rate, and a restart
 * refills every bucket (docs/security.md).
 */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: Config['rateLimit'],
    private readonly now: () => number = () => performance.now(),
  ) {}

  async take(principal: Principal): Promise<void> {
    if (!this.config.enabled) return;
    const key = bucketName(principal);
    const now = this.now();
    const { perSecond, burst } = this.config;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      throw new RateLimitedError(retryAfterSeconds(bucket.tokens, perSecond));
    }
    bucket.tokens -= 1;
    this.buckets.delete(key); // re-inserted last: the map stays in least-recently-used order
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.prune(now);
  }

  close(): void {
    this.buckets.clear();
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
