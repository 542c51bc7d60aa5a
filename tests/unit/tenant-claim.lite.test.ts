import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeTenantClaim, TENANT_TEST_SECRET } from '../contract/tenant-claim.contract.js';
import { testConfig } from '../helpers/config.js';

describeTenantClaim('lite (SQLite)', async () => ({
  app: await createApplication(
    testConfig({ mcp: { enabled: true }, auth: { enabled: true, secret: TENANT_TEST_SECRET } }),
    createLogger('silent'),
    { defaultMetrics: false },
  ),
  cleanup: async () => {},
}));
