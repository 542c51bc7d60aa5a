import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeHistoryImport } from '../contract/history-import.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeHistoryImport('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('histimport');
  const config = testConfig({
    mode: 'standard',
    mcp: { enabled: true },
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('histimport') },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
