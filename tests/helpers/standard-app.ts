import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from './config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from './pg.js';
import { deleteRedisPrefix } from './redis.js';

/**
 * A standard-mode application for a contract suite: its own PostgreSQL database and Redis prefix (both removed by
 * `cleanup`), config from `overrides` (mode, database and Redis are set here).
 */
export async function standardApplication(
  label: string,
  overrides: Record<string, unknown> = {},
): Promise<{ app: Application; cleanup: () => Promise<void> }> {
  const db = await createTestDatabase(label.replaceAll('-', '_'));
  const prefix = randomPrefix(label);
  const config = testConfig({
    ...overrides,
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: async () => {
      await db.drop();
      await deleteRedisPrefix(REDIS_URL, prefix);
    },
  };
}
