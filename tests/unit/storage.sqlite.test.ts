import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeStorageContract } from '../contract/storage.contract.js';

describeStorageContract('sqlite :memory:', async (followUps) => ({
  store: new SqliteStore({ followUps }),
  cleanup: async () => {},
}));

describeStorageContract('sqlite file', async (followUps) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-sqlite-'));
  return {
    store: new SqliteStore({ path: join(dir, 'test.db'), followUps }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
