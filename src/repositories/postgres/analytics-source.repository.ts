import type { AnalyticsSourceRepository, FactRow, FactValue, SyncedTable, SyncPosition } from '../ports.js';
import type { Sql } from './sql.js';

/** Per table: the select list (fact columns, then `ts`), the FROM clause and the (ts, id) sync key. */
const SOURCES: Record<SyncedTable, { select: string; from: string; ts: string; id: string }> = {
  sessions: {
    select: `id::text, tenant_id, project, name, status, metadata::text AS metadata, message_count, created_at,
      updated_at, updated_at AS ts`,
    from: 'sessions',
    ts: 'updated_at',
    id: 'id',
  },
  messages: {
    select: `m.id::text, m.tenant_id, m.session_id::text, s.project, m.role, m.seq, m.content,
      char_length(m.content) AS chars, m.created_at, m.created_at AS ts`,
    from: 'messages m JOIN sessions s ON s.id = m.session_id',
    ts: 'm.created_at',
    id: 'm.id',
  },
  reflections: {
    select: `id::text, tenant_id, project, session_id::text, content, tags, importance::float8 AS importance,
      created_at, updated_at, updated_at AS ts`,
    from: 'reflections',
    ts: 'updated_at',
    id: 'id',
  },
  patterns: {
    select: 'id::text, tenant_id, project, name, kind, source, tags, created_at, updated_at, updated_at AS ts',
    from: 'patterns',
    ts: 'updated_at',
    id: 'id',
  },
  dead_letters: {
    select: `id::text, tenant_id, queue, job_name, error, attempts, status, first_failed_at, failed_at, updated_at,
      updated_at AS ts`,
    from: 'dead_letters',
    ts: 'updated_at',
    id: 'id',
  },
};

function toFactValue(value: unknown): FactValue {
  if (value instanceof Date) return value.toISOString();
  return value as FactValue;
}

/** The analytics sync's reads on PostgreSQL; keyset pages over (ts, id) indexes (migration 0006). */
export class PostgresAnalyticsSourceRepository implements AnalyticsSourceRepository {
  constructor(private readonly sql: Sql) {}

  async changedSince(table: SyncedTable, after: SyncPosition, limit: number): Promise<FactRow[]> {
    const s = SOURCES[table];
    const rows = await this.sql.unsafe<Array<Record<string, unknown>>>(
      `SELECT ${s.select} FROM ${s.from} WHERE (${s.ts}, ${s.id}) > ($1::timestamptz, $2::uuid)
       ORDER BY ${s.ts}, ${s.id} LIMIT $3`,
      [after.ts, after.id, limit],
    );
    return rows.map((row) => {
      const values: Record<string, FactValue> = {};
      for (const [key, value] of Object.entries(row)) if (key !== 'ts') values[key] = toFactValue(value);
      return { ts: (row.ts as Date).toISOString(), id: values.id as string, values };
    });
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
