import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeAkoshaSync } from '../contract/akosha-sync.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describeAkoshaSync('standard (PostgreSQL, BullMQ on Redis)', async (overrides) => {
  const db = await createTestDatabase('akosha');
  const prefix = randomPrefix('akosha');
  const config = testConfig({
    ...overrides,
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
