import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeImportSafety } from '../contract/import-safety.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeImportSafety('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('imports');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('imports') },
    server: { bodyLimitBytes: 4_000_000 },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
