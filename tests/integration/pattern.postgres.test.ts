import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describePatternContract } from '../contract/pattern.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describePatternContract('postgresql', async () => {
  const db = await createTestDatabase('patterns');
  return { store: new PostgresStore({ url: db.url, poolMax: 5 }), cleanup: () => db.drop() };
});
