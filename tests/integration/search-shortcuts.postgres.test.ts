import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeSearchShortcuts } from '../contract/search.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeSearchShortcuts('postgresql', async () => {
  const db = await createTestDatabase('shortcuts');
  return { store: new PostgresStore({ url: db.url }), cleanup: () => db.drop() };
});
