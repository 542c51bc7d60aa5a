import type { Statement } from 'better-sqlite3';
import { RowFile } from '../csv-file.js';
import type { AnalyticsSourceRepository, CsvPage, FactRow, FactValue, SyncedTable, SyncPosition } from '../ports.js';
import type { Db } from './db.js';

/** A text column as a quoted CSV field (RFC 4180: quotes doubled); null stays null. */
const quoted = (column: string) => `'"' || replace(${column}, '"', '""') || '"'`;

/**
 * One message as a CSV row (MESSAGE_CSV_COLUMNS), built by SQLite and read as a BLOB: the row's bytes reach the file
 * without a JavaScript string per value (reading ten values per row was a quarter of the sync's time). A message's
 * session always exists (foreign key); a null project becomes an empty unquoted field, which DuckDB reads as null.
 */
const MESSAGE_CSV_ROW = `CAST(${quoted('m.id')} || ',' || ${quoted('m.tenant_id')} || ',' || ${quoted('m.session_id')} || ','
  || coalesce(${quoted('s.project')}, '') || ',' || ${quoted('m.role')} || ',' || m.seq || ',' || ${quoted('m.content')}
  || ',' || length(m.content) || ',' || ${quoted('m.created_at')} || char(10) AS BLOB)`;

/**
 * Per table: the select list (fact columns in FACT_COLUMNS order; the last one is the sync key's time), the FROM
 * clause, the (ts, id) sync key and the positions of JSON text lists (tags) in the select list.
 */
const SOURCES: Record<SyncedTable, { select: string; from: string; ts: string; id: string; lists: number[] }> = {
  sessions: {
    select: 'id, tenant_id, project, name, status, metadata, message_count, created_at, updated_at',
    from: 'sessions',
    ts: 'updated_at',
    id: 'id',
    lists: [],
  },
  messages: {
    select: `m.id, m.tenant_id, m.session_id, s.project, m.role, m.seq, m.content, length(m.content) AS chars,
      m.created_at, m.received_at`,
    from: 'messages m JOIN sessions s ON s.id = m.session_id',
    ts: 'm.received_at',
    id: 'm.id',
    lists: [],
  },
  reflections: {
    select: 'id, tenant_id, project, session_id, content, tags, importance, created_at, updated_at',
    from: 'reflections',
    ts: 'updated_at',
    id: 'id',
    lists: [5],
  },
  patterns: {
    // occurrences: the messages or reflections that show a detected pattern (evidence.itemCount); 0 for manual ones.
    select: `id, tenant_id, project, name, kind, source, tags,
      coalesce(json_extract(evidence, '$.itemCount'), 0) AS occurrences, created_at, updated_at`,
    from: 'patterns',
    ts: 'updated_at',
    id: 'id',
    lists: [6],
  },
  dead_letters: {
    select: `id, tenant_id, queue, job_name, error, attempts, status, first_failed_at, failed_at, updated_at`,
    from: 'dead_letters',
    ts: 'updated_at',
    id: 'id',
    lists: [],
  },
};

/** The analytics sync's reads on SQLite: timestamps are stored as ISO 8601 UTC text, so text order is time order. */
export class SqliteAnalyticsSourceRepository implements AnalyticsSourceRepository {
  private readonly pages;
  private readonly exists;
  private readonly messageRows;

  constructor(db: Db) {
    const tables = Object.keys(SOURCES) as SyncedTable[];
    this.pages = Object.fromEntries(
      tables.map((t) => {
        const s = SOURCES[t];
        return [
          t,
          db
            .prepare<[string, string, number]>(
              `SELECT ${s.select} FROM ${s.from} WHERE (${s.ts}, ${s.id}) > (?, ?) ORDER BY ${s.ts}, ${s.id} LIMIT ?`,
            )
            .raw(true),
        ];
      }),
    ) as Record<SyncedTable, Statement<[string, string, number]>>;
    const m = SOURCES.messages;
    this.messageRows = db
      .prepare<[string, string, number]>(
        `SELECT ${MESSAGE_CSV_ROW}, ${m.ts}, ${m.id} FROM ${m.from} WHERE (${m.ts}, ${m.id}) > (?, ?)
         ORDER BY ${m.ts}, ${m.id} LIMIT ?`,
      )
      .raw(true);
    this.exists = Object.fromEntries(
      tables.map((t) => [
        t,
        db.prepare<[string]>(`SELECT id FROM ${t} WHERE id IN (SELECT value FROM json_each(?))`).pluck(),
      ]),
    ) as Record<SyncedTable, Statement<[string]>>;
  }

  async changedSince(table: SyncedTable, after: SyncPosition, limit: number): Promise<FactRow[]> {
    const lists = SOURCES[table].lists;
    const rows = this.pages[table].all(after.ts, after.id, limit) as FactValue[][];
    return rows.map((values) => {
      for (const i of lists) values[i] = JSON.parse(values[i] as string) as string[];
      // The sync key is the last column: updated_at (messages: received_at, after the fact columns).
      return { ts: values[values.length - 1] as string, id: values[0] as string, values };
    });
  }

  async writeMessagesCsv(after: SyncPosition, limit: number, path: string): Promise<CsvPage> {
    const rows = this.messageRows.all(after.ts, after.id, limit) as Array<[Buffer, string, string]>;
    const file = new RowFile(path);
    try {
      for (const [row] of rows) file.write(row);
    } catch (error) {
      file.close(false);
      throw error;
    }
    file.close();
    const last = rows.at(-1);
    return {
      rows: rows.length,
      last: last ? { ts: last[1], id: last[2] } : null,
      longestRowBytes: file.longestRowBytes,
    };
  }

  async existingIds(table: SyncedTable, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.exists[table].all(JSON.stringify(ids)) as string[];
  }
}
