import type { OutboxJob } from './outbox.port.js';

/** The tables a snapshot holds, in restore order (a message needs its session; a reflection may name one). */
export const SNAPSHOT_TABLES = ['sessions', 'messages', 'reflections', 'patterns'] as const;
export type SnapshotTable = (typeof SNAPSHOT_TABLES)[number];

/**
 * How a column travels in a snapshot row, the same from either store: `text` (uuids included), `int`, `real` (a
 * number; PostgreSQL `real` written as its shortest text, so it reads back bit for bit), `ts` (ISO 8601 UTC with
 * milliseconds), `json` (a JSON value, or null), `list` (an array of strings) or `vector` (little-endian float32,
 * base64, or null).
 */
export type SnapshotColumnKind = 'text' | 'uuid' | 'int' | 'real' | 'ts' | 'json' | 'list' | 'vector';

/** Every column of each table, in file order: a snapshot row is an object with exactly these keys. */
export const SNAPSHOT_COLUMNS: Record<SnapshotTable, ReadonlyArray<readonly [string, SnapshotColumnKind]>> = {
  sessions: [
    ['id', 'uuid'],
    ['tenant_id', 'text'],
    ['project', 'text'],
    ['name', 'text'],
    ['status', 'text'],
    ['metadata', 'json'],
    ['message_count', 'int'],
    ['created_at', 'ts'],
    ['updated_at', 'ts'],
  ],
  messages: [
    ['id', 'uuid'],
    ['session_id', 'uuid'],
    ['tenant_id', 'text'],
    ['role', 'text'],
    ['content', 'text'],
    ['metadata', 'json'],
    ['seq', 'int'],
    ['idempotency_key', 'text'],
    ['created_at', 'ts'],
    ['received_at', 'ts'],
  ],
  reflections: [
    ['id', 'uuid'],
    ['tenant_id', 'text'],
    ['project', 'text'],
    ['session_id', 'uuid'],
    ['content', 'text'],
    ['content_hash', 'text'],
    ['tags', 'list'],
    ['importance', 'real'],
    ['metadata', 'json'],
    ['created_at', 'ts'],
    ['updated_at', 'ts'],
  ],
  patterns: [
    ['id', 'uuid'],
    ['tenant_id', 'text'],
    ['project', 'text'],
    ['name', 'text'],
    ['name_key', 'text'],
    ['description', 'text'],
    ['kind', 'text'],
    ['examples', 'json'],
    ['tags', 'list'],
    ['source', 'text'],
    ['fingerprint', 'text'],
    ['evidence', 'json'],
    ['centroid', 'vector'],
    ['centroid_model', 'text'],
    ['metadata', 'json'],
    ['created_at', 'ts'],
    ['updated_at', 'ts'],
  ],
};

/** One row as a snapshot file carries it (see SnapshotColumnKind). */
export type SnapshotRow = Record<string, unknown>;

/** Reads pages of every tenant's rows, in id order, all from one point in time where the store can give it. */
export interface SnapshotReader {
  /** Up to `limit` rows of `table` with an id after `afterId` ('' for the first page), in id order. */
  page(table: SnapshotTable, afterId: string, limit: number): Promise<SnapshotRow[]>;
  /** Rows in `table` (what the progress bar counts to). */
  count(table: SnapshotTable): Promise<number>;
}

/** What snapshots read from and write to the primary store, across tenants: operator use only. */
export interface SnapshotRepository {
  /**
   * Runs `read` over one consistent view of the store: PostgreSQL a REPEATABLE READ read-only transaction, a SQLite
   * file a read transaction on a second connection (WAL). An in-memory SQLite store has no second connection:
   * there a write made while the snapshot runs may or may not be in it.
   */
  readConsistent<T>(read: (reader: SnapshotReader) => Promise<T>): Promise<T>;
  /** Rows per snapshot table, to refuse a restore into a store that holds any. */
  counts(): Promise<Record<SnapshotTable, number>>;
  /** Inserts rows exactly as given, with the outbox rows they need, in one transaction. */
  insert(table: SnapshotTable, rows: readonly SnapshotRow[], jobs: OutboxJob[]): Promise<void>;
}
