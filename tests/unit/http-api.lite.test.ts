import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHttpApi } from '../contract/http-api.contract.js';
import { testConfig } from '../helpers/config.js';

describeHttpApi('lite (SQLite in memory)', async () => ({
  app: await createApplication(testConfig({ limits: { batchMessages: 20 } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
