import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeBadInput } from '../contract/bad-input.contract.js';
import { testConfig } from '../helpers/config.js';

describeBadInput('lite (SQLite, in-process queue)', async () => ({
  app: await createApplication(testConfig({ mcp: { enabled: true } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
