import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeSnapshotContract } from '../contract/snapshot.contract.js';

describeSnapshotContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-db-'));
  let n = 0;
  return {
    open: async () => new SqliteStore({ path: join(dir, `db${n++}.sqlite`) }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describeSnapshotContract('sqlite :memory:', async () => ({
  open: async () => new SqliteStore(),
  cleanup: async () => {},
}));
