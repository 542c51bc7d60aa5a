import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeMessageTime } from '../contract/message-time.contract.js';
import { testConfig } from '../helpers/config.js';

describeMessageTime('lite (SQLite, in-process queue)', async () => ({
  app: await createApplication(testConfig({ mcp: { enabled: true } }), createLogger('silent'), {
    defaultMetrics: false,
  }),
  cleanup: async () => {},
}));
