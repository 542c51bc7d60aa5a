import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeLifecycle } from '../contract/lifecycle.contract.js';
import { testConfig } from '../helpers/config.js';

describeLifecycle('lite (SQLite in memory, in-process queue)', async () => ({
  app: await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
