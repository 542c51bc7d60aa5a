import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describePatternApi, PATTERN_API_CONFIG } from '../contract/pattern-api.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describePatternApi('standard (BullMQ on Redis, PostgreSQL)', async () => {
  const db = await createTestDatabase('patterns_api');
  const prefix = randomPrefix('patterns');
  const config = testConfig({
    ...PATTERN_API_CONFIG,
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix },
    workers: { inProcess: true },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: async () => {
      await db.drop();
      await deleteRedisPrefix(REDIS_URL, prefix);
    },
  };
});
