import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeSummaries } from '../contract/summaries.contract.js';
import { testConfig } from '../helpers/config.js';

describeSummaries('lite (SQLite in memory, in-process queue)', async (overrides) => ({
  app: await createApplication(testConfig(overrides), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
