import type { OutboxJob } from '../ports.js';
import {
  SNAPSHOT_COLUMNS,
  SNAPSHOT_TABLES,
  type SnapshotColumnKind,
  type SnapshotReader,
  type SnapshotRepository,
  type SnapshotRow,
  type SnapshotTable,
} from '../snapshot.port.js';
import { outboxRows } from './outbox.repository.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

/** How each kind is read: text the driver hands over unchanged (timestamps formatted by the server). */
const SELECT: Record<SnapshotColumnKind, (c: string) => string> = {
  text: (c) => c,
  uuid: (c) => `${c}::text AS ${c}`,
  int: (c) => c,
  real: (c) => `${c}::text AS ${c}`,
  ts: (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c}`,
  json: (c) => c,
  list: (c) => c,
  vector: (c) => `${c}::float8[] AS ${c}`,
};

/** The record type a snapshot row's value is read as from the JSON page (jsonb_to_recordset). */
const RECORD_TYPE: Record<SnapshotColumnKind, string> = {
  text: 'text',
  uuid: 'uuid',
  int: 'integer',
  real: 'real',
  ts: 'timestamptz',
  json: 'jsonb',
  list: 'jsonb',
  vector: 'jsonb',
};

/** How the record value becomes the column value. */
const ordered = (c: string, cast: string) =>
  `ARRAY(SELECT e${cast} FROM jsonb_array_elements_text(r.${c}) WITH ORDINALITY AS x(e, n) ORDER BY n)`;
const INSERT_VALUE: Record<SnapshotColumnKind, (c: string) => string> = {
  text: (c) => `r.${c}`,
  uuid: (c) => `r.${c}`,
  int: (c) => `r.${c}`,
  real: (c) => `r.${c}`,
  ts: (c) => `r.${c}`,
  json: (c) => `r.${c}`,
  list: (c) => ordered(c, ''),
  vector: (c) => `CASE WHEN r.${c} IS NULL THEN NULL ELSE ${ordered(c, '::real')} END`,
};

function fromPostgres(table: SnapshotTable, row: Record<string, unknown>): SnapshotRow {
  for (const [name, kind] of SNAPSHOT_COLUMNS[table]) {
    const value = row[name];
    if (value === null || value === undefined) row[name] = null;
    else if (kind === 'real') row[name] = Number(value);
    else if (kind === 'vector') {
      const floats = Float32Array.from(value as Array<number | string>, Number);
      row[name] = Buffer.from(floats.buffer).toString('base64');
    }
  }
  return row;
}

/** A snapshot row as the JSON one page is sent as: vectors as number arrays. */
function toPostgres(table: SnapshotTable, row: SnapshotRow): SnapshotRow {
  const out: SnapshotRow = {};
  for (const [name, kind] of SNAPSHOT_COLUMNS[table]) {
    const value = row[name] ?? null;
    if (kind === 'vector' && value !== null) {
      const bytes = Buffer.from(value as string, 'base64');
      out[name] = Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
    } else out[name] = value;
  }
  return out;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function reader(sql: Sql): SnapshotReader {
  return {
    async page(table, afterId, limit) {
      const select = SNAPSHOT_COLUMNS[table].map(([name, kind]) => SELECT[kind](name)).join(', ');
      // uuid order is the order of their lower-case text, as SQLite pages them; the primary key serves it.
      const rows = await sql.unsafe<Array<Record<string, unknown>>>(
        `SELECT ${select} FROM ${table} WHERE id > $1::uuid ORDER BY id LIMIT $2`,
        [afterId === '' ? NIL_UUID : afterId, limit],
      );
      return rows.map((row) => fromPostgres(table, row));
    },
    async count(table) {
      const [row] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`);
      return row?.n ?? 0;
    },
  };
}

/** Snapshot reads and restores on PostgreSQL. */
export class PostgresSnapshotRepository implements SnapshotRepository {
  constructor(private readonly sql: Sql) {}

  async readConsistent<T>(read: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    const tx = await this.sql.reserve();
    try {
      // One snapshot of the database for every page; a long snapshot must not meet the per-request timeout.
      await tx`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
      await tx`SET LOCAL statement_timeout = 0`;
      const result = await read(reader(tx));
      await tx`COMMIT`;
      return result;
    } catch (error) {
      await tx`ROLLBACK`.catch(() => undefined);
      throw error;
    } finally {
      tx.release();
    }
  }

  async counts(): Promise<Record<SnapshotTable, number>> {
    const r = reader(this.sql);
    const entries = await Promise.all(SNAPSHOT_TABLES.map(async (t) => [t, await r.count(t)] as const));
    return Object.fromEntries(entries) as Record<SnapshotTable, number>;
  }

  async insert(table: SnapshotTable, rows: readonly SnapshotRow[], jobs: OutboxJob[]): Promise<void> {
    const columns = SNAPSHOT_COLUMNS[table];
    const names = columns.map(([name]) => name).join(', ');
    const values = columns.map(([name, kind]) => INSERT_VALUE[kind](name)).join(', ');
    const record = columns.map(([name, kind]) => `${name} ${RECORD_TYPE[kind]}`).join(', ');
    const page = JSON.stringify(rows.map((row) => toPostgres(table, row)));
    await transaction(this.sql, async (tx) => {
      await tx.unsafe(
        `INSERT INTO ${table} (${names}) SELECT ${values} FROM jsonb_to_recordset($1::text::jsonb) AS r(${record})`,
        [page],
      );
      if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
    });
  }
}
