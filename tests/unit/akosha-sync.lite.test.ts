import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeAkoshaSync } from '../contract/akosha-sync.contract.js';
import { testConfig } from '../helpers/config.js';

describeAkoshaSync('lite (SQLite in memory, in-process queue)', async (overrides) => ({
  app: await createApplication(testConfig(overrides), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
