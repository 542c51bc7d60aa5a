import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { FilesystemSnapshotStorage } from '../../src/services/snapshots/filesystem.storage.js';
import { EMPTY_KEYRING } from '../../src/services/snapshots/keyring.js';
import { SnapshotService } from '../../src/services/snapshots/snapshot.service.js';
import { describeSnapshotContract, dumpStore, seedStore } from '../contract/snapshot.contract.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

async function openPostgres(databases: TestDatabase[]): Promise<PostgresStore> {
  const db = await createTestDatabase('snapshot');
  databases.push(db);
  const store = new PostgresStore({ url: db.url, poolMax: 4 });
  await store.migrate();
  return store;
}

describeSnapshotContract('postgresql', async () => {
  const databases: TestDatabase[] = [];
  const opened: PostgresStore[] = [];
  return {
    open: async () => {
      const store = await openPostgres(databases);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      await Promise.all(databases.map((d) => d.drop()));
    },
  };
});

describe('snapshots across stores', () => {
  const databases: TestDatabase[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sb-snapshots-x-'));
  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const service = (store: SqliteStore | PostgresStore) =>
    new SnapshotService(store, {
      storage: new FilesystemSnapshotStorage(dir),
      keyring: EMPTY_KEYRING,
      compression: 'none',
      retention: 5,
      defaultTenant: 'default',
    });

  it('a lite snapshot restores into PostgreSQL and back into SQLite with the same rows', async () => {
    const lite = new SqliteStore();
    await seedStore(lite, 4, 3);
    const fromLite = await service(lite).create();
    expect(fromLite.keyId).toBeNull();
    const pg = await openPostgres(databases);
    await service(pg).restore(fromLite.id);
    expect(await dumpStore(pg)).toEqual(await dumpStore(lite));
    const fromPg = await service(pg).create();
    const back = new SqliteStore();
    await service(back).restore(fromPg.id);
    expect(await dumpStore(back)).toEqual(await dumpStore(lite));
    await Promise.all([lite.close(), back.close(), pg.close()]);
  });
});
