import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describePatternContract } from '../contract/pattern.contract.js';

describePatternContract('sqlite :memory:', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));

describePatternContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-patterns-'));
  return {
    store: new SqliteStore({ path: join(dir, 'test.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
