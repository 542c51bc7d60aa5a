import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeQuality } from '../contract/quality.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describeQuality('standard (PostgreSQL, BullMQ on Redis)', async () => {
  const db = await createTestDatabase('quality');
  const prefix = randomPrefix('quality');
  const config = testConfig({
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
