import type { Config } from '../config/config.schema.js';
import { redactUrlPassword } from '../config/url-credentials.js';
import { type CheckResult, fail, ok, reason, skip, warn, within } from './doctor.js';

const TIMEOUT_MS = 5_000;

/** `key:value` lines of an INFO section. */
function info(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}

/**
 * Redis (standard mode): reachable, its version, and the two settings BullMQ's queue state depends on: persistence
 * (append-only file, so jobs survive a restart) and `maxmemory-policy noeviction` (an evicted key is a lost job).
 */
export async function checkRedis(config: Config): Promise<CheckResult[]> {
  if (config.mode !== 'standard') return [skip('redis', 'not used in lite mode (jobs run in process)')];
  const shown = redactUrlPassword(config.redis.url);
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports why a connection failed (ECONNREFUSED, ENOTFOUND, NOAUTH) on 'error'; the command then only
  // says the connection is closed.
  let cause: unknown;
  redis.on('error', (error) => {
    cause ??= error;
  });
  try {
    try {
      await within(
        TIMEOUT_MS + 1_000,
        'Redis',
        redis.connect().then(() => redis.ping()),
      );
    } catch (error) {
      return [
        fail(
          'redis',
          `${shown}: ${reason(cause ?? error)}`,
          'start Redis there, or set SESSION_BUDDY_REDIS__URL (redis.url) to the server to use',
        ),
      ];
    }
    const server = info(await redis.info('server'));
    const persistence = info(await redis.info('persistence'));
    const results = [ok('redis', `Redis ${server.redis_version ?? '?'} at ${shown}`)];
    const aof = persistence.aof_enabled === '1';
    const rdb = (await redis.config('GET', 'save').catch(() => [])) as string[];
    results.push(
      aof
        ? ok('redis persistence', 'append-only file on')
        : warn(
            'redis persistence',
            rdb[1]
              ? `append-only file off (snapshots: save ${rdb[1]}): jobs queued since the last snapshot are lost if Redis restarts`
              : 'append-only file off, no snapshots: every queued job is lost if Redis restarts',
            'run Redis with `appendonly yes` (docker-compose.yml does)',
          ),
    );
    const policy = ((await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[])[1];
    if (policy !== undefined) {
      results.push(
        policy === 'noeviction'
          ? ok('redis eviction', 'maxmemory-policy noeviction')
          : fail(
              'redis eviction',
              `maxmemory-policy ${policy}: Redis may evict queue keys under memory pressure (lost jobs)`,
              'set `maxmemory-policy noeviction` in redis.conf (BullMQ requires it)',
            ),
      );
    }
    return results;
  } finally {
    redis.disconnect();
  }
}
