import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeImportSafety } from '../contract/import-safety.contract.js';
import { testConfig } from '../helpers/config.js';

describeImportSafety('lite (SQLite, in-process queue)', async () => ({
  app: await createApplication(testConfig({ server: { bodyLimitBytes: 4_000_000 } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
