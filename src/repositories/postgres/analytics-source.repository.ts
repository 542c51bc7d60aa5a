import type { AnalyticsSourceRepository, CsvPage, FactRow, FactValue, SyncedTable, SyncPosition } from '../ports.js';
import { pipeToFile } from './copy-to-file.js';
import { isoText as iso, type Sql } from './sql.js';

/**
 * The sync key's time (the last column) with PostgreSQL's full precision, microseconds: the next page starts
 * strictly after it. Cut to milliseconds, a row stamped later in the same millisecond (`DEFAULT now()`, bulk
 * loads stamp thousands alike) would compare after the key again and be read again, page after page.
 */
const isoKey = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The message fact columns without the derived ones, of a message (`m`) and its session (`s`): a page of
 * changedSince (with the sync key after them) and of writeMessagesCsv (COPY's CSV quotes text only where it must).
 */
const MESSAGE_COLUMNS = `m.id::text, m.tenant_id, m.session_id::text, s.project, m.role, m.seq, m.content,
  char_length(m.content) AS chars, ${iso('m.created_at')}`;

/**
 * Per table: the select list (fact columns in FACT_COLUMNS order; the last one is the sync key's time), the FROM
 * clause and the (ts, id) sync key. Rows are read as arrays (`values()`).
 */
const SOURCES: Record<SyncedTable, { select: string; from: string; ts: string; id: string }> = {
  sessions: {
    select: `id::text, tenant_id, project, name, status, metadata::text AS metadata, message_count, ${iso('created_at')},
      ${isoKey('updated_at')}`,
    from: 'sessions',
    ts: 'updated_at',
    id: 'id',
  },
  messages: {
    select: `${MESSAGE_COLUMNS}, ${isoKey('m.received_at')}`,
    from: 'messages m JOIN sessions s ON s.id = m.session_id',
    ts: 'm.received_at',
    id: 'm.id',
  },
  reflections: {
    select: `id::text, tenant_id, project, session_id::text, content, tags, importance::float8 AS importance,
      ${iso('created_at')}, ${isoKey('updated_at')}`,
    from: 'reflections',
    ts: 'updated_at',
    id: 'id',
  },
  patterns: {
    // occurrences: the messages or reflections that show a detected pattern (evidence.itemCount); 0 for manual ones.
    select: `id::text, tenant_id, project, name, kind, source, tags,
      coalesce((evidence->>'itemCount')::int, 0) AS occurrences, ${iso('created_at')}, ${isoKey('updated_at')}`,
    from: 'patterns',
    ts: 'updated_at',
    id: 'id',
  },
  dead_letters: {
    select: `id::text, tenant_id, queue, job_name, error, attempts, status, ${iso('first_failed_at')},
      ${iso('failed_at')}, ${isoKey('updated_at')}`,
    from: 'dead_letters',
    ts: 'updated_at',
    id: 'id',
  },
};

const ISO_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A sync position as SQL literals: COPY takes no parameters, so both parts are checked to be what they claim. */
function positionLiterals(position: SyncPosition): string {
  if (!ISO_KEY.test(position.ts) || !UUID.test(position.id)) {
    throw new Error(`analytics sync: not a sync position: ${JSON.stringify(position)}`);
  }
  return `('${position.ts}'::timestamptz, '${position.id}'::uuid)`;
}

/** The analytics sync's reads on PostgreSQL; keyset pages over (ts, id) indexes (migration 0006). */
export class PostgresAnalyticsSourceRepository implements AnalyticsSourceRepository {
  constructor(private readonly sql: Sql) {}

  async changedSince(table: SyncedTable, after: SyncPosition, limit: number): Promise<FactRow[]> {
    const s = SOURCES[table];
    const rows = (await this.sql
      .unsafe(
        // The position's time is bound as text: the driver would pass a timestamptz parameter through a JavaScript
        // Date, cutting it to milliseconds (isoKey).
        `SELECT ${s.select} FROM ${s.from} WHERE (${s.ts}, ${s.id}) > ($1::text::timestamptz, $2::uuid)
         ORDER BY ${s.ts}, ${s.id} LIMIT $3`,
        [after.ts, after.id, limit],
      )
      .values()) as unknown as FactValue[][];
    return rows.map((values) => {
      // The sync key is the last column: updated_at (messages: received_at, after the fact columns).
      return { ts: values[values.length - 1] as string, id: values[0] as string, values };
    });
  }

  /**
   * The page's range first (how many rows and the last key: an index-only scan of the keys), then the rows of that
   * range through `COPY … TO STDOUT` straight into the file: PostgreSQL writes the CSV, Node only moves the bytes.
   * A message committed late inside the range is copied too (more rows than counted): the sync's upsert makes
   * that harmless, as its overlap re-read does.
   */
  async writeMessagesCsv(after: SyncPosition, limit: number, path: string): Promise<CsvPage> {
    const s = SOURCES.messages;
    // A connection of its own: postgres.js hands a pooled connection that is busy to the next query when the pool is
    // full, and one in the middle of a COPY refuses it (COPY_IN_PROGRESS: a write answered 500 under load).
    const connection = await this.sql.reserve();
    try {
      const [page] = await connection.unsafe<Array<{ rows: number; ts: string; id: string }>>(
        `WITH k AS (
           SELECT ${s.ts} AS ts, ${s.id} AS id FROM messages m
           WHERE (${s.ts}, ${s.id}) > ($1::text::timestamptz, $2::uuid) ORDER BY ${s.ts}, ${s.id} LIMIT $3)
         SELECT (SELECT count(*) FROM k)::int AS rows, ${isoKey('l.ts')} AS ts, l.id::text AS id
         FROM (SELECT ts, id FROM k ORDER BY ts DESC, id DESC LIMIT 1) l`,
        [after.ts, after.id, limit],
      );
      if (!page) return { rows: 0, last: null, longestRowBytes: 0 };
      const last = { ts: page.ts, id: page.id };
      const stream = await connection
        .unsafe(
          `COPY (SELECT ${MESSAGE_COLUMNS} FROM ${s.from}
                 WHERE (${s.ts}, ${s.id}) > ${positionLiterals(after)} AND (${s.ts}, ${s.id}) <= ${positionLiterals(last)})
           TO STDOUT (FORMAT csv)`,
        )
        .readable();
      const longestRowBytes = await pipeToFile(stream, path);
      // The COPY's completion: the connection is idle again before it goes back to the pool.
      await connection`SELECT 1`;
      return { rows: page.rows, last, longestRowBytes };
    } finally {
      connection.release();
    }
  }

  async existingIds(table: SyncedTable, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.unsafe<Array<{ id: string }>>(
      `SELECT id::text AS id FROM ${SOURCES[table].from.split(' ')[0]} WHERE id = ANY($1::uuid[])`,
      [ids as string[]],
    );
    return rows.map((r) => r.id);
  }
}
