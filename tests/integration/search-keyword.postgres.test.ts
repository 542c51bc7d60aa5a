import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeKeywordSemantics } from '../contract/keyword-semantics.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeKeywordSemantics('postgresql', async () => {
  const db = await createTestDatabase('keywords');
  return { store: new PostgresStore({ url: db.url }), cleanup: () => db.drop() };
});
