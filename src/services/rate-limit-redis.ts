import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.schema.js';
import { RateLimitedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import { bucketName, type RateLimiter, retryAfterSeconds } from './rate-limit.service.js';

/**
 * Refills the bucket in KEYS[1] by the time passed (Redis's own clock, so replicas with skewed clocks agree), then
 * takes one token if there is one. ARGV: burst, perSecond, TTL in ms. Answers `{1}` (taken) or `{0, tokens × 1e6}`
 * (refused; integers only survive the trip out of Lua). The key expires once a bucket would be full again, so an
 * idle principal costs nothing.
 */
const TAKE_SCRIPT = `
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local burst = tonumber(ARGV[1])
local perSecond = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * perSecond)
local taken = tokens >= 1
if taken then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if taken then return {1} end
return {0, math.floor(tokens * 1000000)}
`;
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

/** How long a call waits for Redis before it is let through (fail open). */
const COMMAND_TIMEOUT_MS = 250;
/** Longest a bucket key lives (a tiny perSecond would otherwise keep keys for years). */
const MAX_TTL_MS = 24 * 3600 * 1000;
/** At most one warning per this many ms while Redis is unreachable. */
const WARN_EVERY_MS = 60_000;

export interface RedisRateLimiterOptions {
  url: string;
  /** `redis.prefix`: keys are `<prefix>:rate-limit:<tenant>:<subject hash>`. */
  prefix: string;
  logger: Logger;
  /** Called for every call let through because Redis did not answer (the fail-open counter). */
  onFailOpen: () => void;
}

/**
 * One token bucket per principal in Redis, shared by every replica: one atomic script (EVALSHA, EVAL when Redis does
 * not have it cached) refills and takes. When Redis is down or slow the limiter FAILS OPEN: the call goes through
 * (writes keep working through the outbox while Redis is away) and `onFailOpen` counts it.
 */
export class RedisRateLimiter implements RateLimiter {
  private lastWarning = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly redis: Redis,
    private readonly config: Config['rateLimit'],
    private readonly options: RedisRateLimiterOptions,
  ) {}

  /** Connects (commands fail at once while Redis is down rather than queue), waiting briefly for the first ready. */
  static async connect(config: Config['rateLimit'], options: RedisRateLimiterOptions): Promise<RedisRateLimiter> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectionName: 'session-buddy:rate-limit',
    });
    redis.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      redis.once('ready', done);
    });
    return new RedisRateLimiter(redis, config, options);
  }

  async take(principal: Principal): Promise<void> {
    if (!this.config.enabled) return;
    const { burst, perSecond } = this.config;
    const ttlMs = Math.min(MAX_TTL_MS, Math.ceil((burst / perSecond) * 1000) + 1000);
    let answer: [number, number?];
    try {
      answer = await this.run(this.key(principal), [burst, perSecond, ttlMs]);
    } catch (error) {
      this.options.onFailOpen();
      const now = Date.now();
      if (now - this.lastWarning >= WARN_EVERY_MS) {
        this.lastWarning = now;
        this.options.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'rate limit: Redis unreachable, calls are let through (fail open) until it answers',
        );
      }
      return;
    }
    if (answer[0] !== 1) throw new RateLimitedError(retryAfterSeconds((answer[1] ?? 0) / 1_000_000, perSecond));
  }

  close(): void {
    this.redis.disconnect();
  }

  private key(principal: Principal): string {
    // Tenants are a documented charset (core/tenant.ts); the subject is any string, so it is hashed.
    const subject = createHash('sha256').update(bucketName(principal)).digest('base64url').slice(0, 22);
    return `${this.options.prefix}:rate-limit:${principal.tenantId}:${subject}`;
  }

  private async run(key: string, args: number[]): Promise<[number, number?]> {
    try {
      return (await this.redis.evalsha(TAKE_SHA, 1, key, ...args)) as [number, number?];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(TAKE_SCRIPT, 1, key, ...args)) as [number, number?];
    }
  }
}
