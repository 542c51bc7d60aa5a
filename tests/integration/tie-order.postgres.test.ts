import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { describeTieOrder } from '../contract/tie-order.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeTieOrder('postgresql', async () => {
  const db = await createTestDatabase('tieorder');
  return { store: new PostgresStore({ url: db.url }), cleanup: () => db.drop() };
});
