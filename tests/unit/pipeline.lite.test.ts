import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describePipeline } from '../contract/pipeline.contract.js';
import { testConfig } from '../helpers/config.js';

describePipeline('lite (in-process queue, SQLite)', async (overrides) => ({
  app: await createApplication(testConfig(overrides), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
