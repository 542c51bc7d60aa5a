import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeQuality } from '../contract/quality.contract.js';
import { testConfig } from '../helpers/config.js';

describeQuality('lite (SQLite in memory, in-process queue)', async () => ({
  app: await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
