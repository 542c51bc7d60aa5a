import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeResponseBounds } from '../contract/response-bounds.contract.js';
import { testConfig } from '../helpers/config.js';

describeResponseBounds('lite (SQLite in memory)', async () => ({
  app: await createApplication(testConfig({ mcp: { enabled: true } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
