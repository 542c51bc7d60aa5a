import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeAnalyticsSyncContract } from '../contract/analytics-sync.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeAnalyticsSyncContract('postgresql', async () => {
  const db = await createTestDatabase('analytics');
  return { store: new PostgresStore({ url: db.url, poolMax: 4 }), cleanup: () => db.drop() };
});
