import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeTieOrder } from '../contract/tie-order.contract.js';

describeTieOrder('sqlite', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));
