import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeAnalyticsSyncContract } from '../contract/analytics-sync.contract.js';

describeAnalyticsSyncContract('sqlite :memory:', async () => ({ store: new SqliteStore(), cleanup: async () => {} }));

describeAnalyticsSyncContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-analytics-'));
  return {
    store: new SqliteStore({ path: join(dir, 'test.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
