import type { Statement } from 'better-sqlite3';
import type { AnalyticsSourceRepository, FactRow, FactValue, SyncedTable, SyncPosition } from '../ports.js';
import type { Db } from './db.js';

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

  async existingIds(table: SyncedTable, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.exists[table].all(JSON.stringify(ids)) as string[];
  }
}
