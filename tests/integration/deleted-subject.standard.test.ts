import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeDeletedSubject } from '../contract/deleted-subject.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describeDeletedSubject('standard (BullMQ on Redis, PostgreSQL)', async (overrides) => {
  const db = await createTestDatabase('deleted_subject');
  const prefix = randomPrefix('deleted-subject');
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
