import Database from 'better-sqlite3';
import type { OutboxJob } from '../ports.js';
import {
  SNAPSHOT_COLUMNS,
  SNAPSHOT_TABLES,
  type SnapshotReader,
  type SnapshotRepository,
  type SnapshotRow,
  type SnapshotTable,
} from '../snapshot.port.js';
import type { Db } from './db.js';
import type { SqliteOutboxRepository } from './outbox.repository.js';

const columnList = (table: SnapshotTable) => SNAPSHOT_COLUMNS[table].map(([name]) => name).join(', ');

/** A stored row as a snapshot row: JSON text parsed, the centroid BLOB as base64. */
function fromSqlite(table: SnapshotTable, row: Record<string, unknown>): SnapshotRow {
  for (const [name, kind] of SNAPSHOT_COLUMNS[table]) {
    const value = row[name];
    if (value === null || value === undefined) row[name] = null;
    else if (kind === 'json' || kind === 'list') row[name] = JSON.parse(value as string);
    else if (kind === 'vector') row[name] = (value as Buffer).toString('base64');
  }
  return row;
}

/** A snapshot row as statement parameters. */
function toSqlite(table: SnapshotTable, row: SnapshotRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of SNAPSHOT_COLUMNS[table]) {
    const value = row[name] ?? null;
    if (value === null) out[name] = null;
    else if (kind === 'json' || kind === 'list') out[name] = JSON.stringify(value);
    else if (kind === 'vector') out[name] = Buffer.from(value as string, 'base64');
    else out[name] = value;
  }
  return out;
}

function reader(db: Db): SnapshotReader {
  const pages = new Map(
    SNAPSHOT_TABLES.map((t) => [
      t,
      db.prepare<[string, number]>(`SELECT ${columnList(t)} FROM ${t} WHERE id > ? ORDER BY id LIMIT ?`),
    ]),
  );
  const counts = new Map(SNAPSHOT_TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck()]));
  return {
    async page(table, afterId, limit) {
      const rows = pages.get(table)?.all(afterId, limit) as Array<Record<string, unknown>>;
      return rows.map((row) => fromSqlite(table, row));
    },
    async count(table) {
      return counts.get(table)?.get() as number;
    },
  };
}

/** Snapshot reads and restores on SQLite. */
export class SqliteSnapshotRepository implements SnapshotRepository {
  private readonly inserts;

  constructor(
    private readonly db: Db,
    private readonly outbox: SqliteOutboxRepository,
  ) {
    this.inserts = new Map(
      SNAPSHOT_TABLES.map((t) => {
        const names = SNAPSHOT_COLUMNS[t].map(([name]) => name);
        return [
          t,
          db.prepare(`INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`),
        ];
      }),
    );
  }

  async readConsistent<T>(read: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    if (this.db.memory) return read(reader(this.db));
    // A second connection's read transaction sees the file as of its first read (WAL), while writes go on.
    const view = new Database(this.db.name, { readonly: true, fileMustExist: true });
    try {
      view.exec('BEGIN');
      view.prepare('SELECT count(*) FROM sessions').get();
      return await read(reader(view));
    } finally {
      view.close();
    }
  }

  async counts(): Promise<Record<SnapshotTable, number>> {
    const r = reader(this.db);
    const entries = await Promise.all(SNAPSHOT_TABLES.map(async (t) => [t, await r.count(t)] as const));
    return Object.fromEntries(entries) as Record<SnapshotTable, number>;
  }

  async insert(table: SnapshotTable, rows: readonly SnapshotRow[], jobs: OutboxJob[]): Promise<void> {
    const insert = this.inserts.get(table);
    if (!insert) throw new Error(`not a snapshot table: ${table}`);
    this.db.transaction(() => {
      for (const row of rows) insert.run(toSqlite(table, row));
      this.outbox.insert(jobs);
    })();
  }
}
