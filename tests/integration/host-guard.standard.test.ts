import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHostGuard } from '../contract/host-guard.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeHostGuard('standard (PostgreSQL + Redis)', async (overrides) => {
  const db = await createTestDatabase('hostguard');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('hostguard') },
    ...overrides,
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
