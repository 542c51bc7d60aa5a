import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeRoles, ROLES_TEST_CONFIG } from '../contract/roles.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeRoles('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('roles');
  const config = testConfig({
    ...ROLES_TEST_CONFIG,
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('roles') },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
