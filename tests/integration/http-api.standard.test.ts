import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHttpApi } from '../contract/http-api.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeHttpApi('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('http');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('http') },
    limits: { batchMessages: 20 },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
