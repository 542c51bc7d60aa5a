import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeSearchShortcuts } from '../contract/search.contract.js';

describeSearchShortcuts('sqlite', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));
