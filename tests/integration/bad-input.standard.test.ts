import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeBadInput } from '../contract/bad-input.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeBadInput('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('badinput');
  const config = testConfig({
    mode: 'standard',
    mcp: { enabled: true },
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('badinput') },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
