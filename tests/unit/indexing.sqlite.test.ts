import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeIndexingStatus } from '../contract/indexing.contract.js';

describeIndexingStatus('sqlite', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));
