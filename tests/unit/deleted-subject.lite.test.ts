import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeDeletedSubject } from '../contract/deleted-subject.contract.js';
import { testConfig } from '../helpers/config.js';

describeDeletedSubject('lite (in-process queue, SQLite)', async (overrides) => ({
  app: await createApplication(testConfig(overrides), createLogger('silent'), { defaultMetrics: false }),
  cleanup: async () => {},
}));
