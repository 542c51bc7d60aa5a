import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describePipeline } from '../contract/pipeline.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describePipeline('standard (BullMQ on Redis, PostgreSQL)', async (overrides) => {
  const db = await createTestDatabase('pipeline');
  const prefix = randomPrefix('pipeline');
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
});
