import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeTenantClaim, TENANT_TEST_SECRET } from '../contract/tenant-claim.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeTenantClaim('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('tenantclaim');
  const config = testConfig({
    mode: 'standard',
    mcp: { enabled: true },
    auth: { enabled: true, secret: TENANT_TEST_SECRET },
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('tenantclaim') },
  });
  return {
    app: await createApplication(config, createLogger('silent'), { defaultMetrics: false }),
    cleanup: () => db.drop(),
  };
});
