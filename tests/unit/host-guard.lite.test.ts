import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHostGuard } from '../contract/host-guard.contract.js';
import { testConfig } from '../helpers/config.js';

describeHostGuard('lite (SQLite in memory)', async (overrides) => ({
  app: await createApplication(testConfig(overrides), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
