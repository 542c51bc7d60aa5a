import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeStorageContract } from '../contract/storage.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeStorageContract('postgresql', async (followUps) => {
  const db = await createTestDatabase('contract');
  return { store: new PostgresStore({ url: db.url, poolMax: 10, followUps }), cleanup: () => db.drop() };
});
