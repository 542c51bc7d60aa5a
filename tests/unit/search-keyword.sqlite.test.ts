import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeKeywordSemantics } from '../contract/keyword-semantics.contract.js';

describeKeywordSemantics('sqlite', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));
