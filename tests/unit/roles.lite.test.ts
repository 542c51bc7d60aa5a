import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeRoles, ROLES_TEST_CONFIG } from '../contract/roles.contract.js';
import { testConfig } from '../helpers/config.js';

describeRoles('lite (SQLite)', async () => ({
  app: await createApplication(testConfig(ROLES_TEST_CONFIG), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
