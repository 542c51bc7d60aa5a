import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeResponseBounds } from '../contract/response-bounds.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeResponseBounds('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('bounds');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('bounds') },
    mcp: { enabled: true },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
