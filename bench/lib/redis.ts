import { Redis } from 'ioredis';
import { registerCleanup } from './cleanup.js';

export interface RedisPrefix {
  prefix: string;
  /** Deletes every key under `<prefix>:`; safe to call twice. */
  drop(): Promise<void>;
}

/**
 * A random key prefix on the Redis server of `url`, for one measurement. Its keys are deleted by
 * `drop()`, or on Ctrl-C.
 */
export function throwawayRedisPrefix(url: string, prefix: string): RedisPrefix {
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= deleteKeys(url, `${prefix}:*`).then(() => unregister());
    return dropped;
  };
  const unregister = registerCleanup(drop);
  return { prefix, drop };
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
