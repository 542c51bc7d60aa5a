import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHistoryImport } from '../contract/history-import.contract.js';
import { testConfig } from '../helpers/config.js';

describeHistoryImport('lite (SQLite, in-process queue)', async () => ({
  app: await createApplication(testConfig({ mcp: { enabled: true } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
