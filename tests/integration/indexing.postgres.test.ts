import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeIndexingStatus } from '../contract/indexing.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeIndexingStatus('postgresql', async () => {
  const db = await createTestDatabase('indexing');
  return { store: new PostgresStore({ url: db.url }), cleanup: () => db.drop() };
});
