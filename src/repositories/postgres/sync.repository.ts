import type { SyncPosition } from '../ports.js';
import {
  SYNC_KINDS,
  type SyncCursor,
  type SyncKind,
  type SyncRecord,
  type SyncRepository,
  type SyncTargetState,
} from '../sync.port.js';
import { isoText, type Sql } from './sql.js';

/**
 * The keyset time as text: milliseconds like every other timestamp, microseconds only when a row has them, so a
 * cursor read back compares equal to its row and the row is not read again.
 */
const exact = (column: string) =>
  `CASE WHEN extract(microseconds FROM ${column})::bigint % 1000 = 0 THEN ${isoText(column)}
     ELSE to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;

/** A summary changes when it is made again and when its LLM part is written (`saveLlm` moves only that time). */
const SUMMARY_TS = 'greatest(ss.generated_at, ss.llm_generated_at)';

/**
 * Per kind: the select list (`id`, `tenant_id`, `project`, `ts` first, then the item's own fields under their
 * camelCase names), the FROM clause and the (ts, id) keyset columns. JSON columns arrive parsed, tags as arrays.
 */
const SOURCES: Record<SyncKind, { select: string; from: string; ts: string; id: string }> = {
  reflections: {
    select: `id::text, tenant_id, project, ${exact('updated_at')} AS ts, session_id::text AS "sessionId", content,
      tags, importance::float8 AS importance, metadata, ${isoText('created_at')} AS "createdAt"`,
    from: 'reflections',
    ts: 'updated_at',
    id: 'id',
  },
  patterns: {
    select: `id::text, tenant_id, project, ${exact('updated_at')} AS ts, name, description, kind, source, examples,
      tags, metadata, ${isoText('created_at')} AS "createdAt"`,
    from: 'patterns',
    ts: 'updated_at',
    id: 'id',
  },
  session_summaries: {
    select: `ss.session_id::text AS id, ss.tenant_id, s.project, ${exact(SUMMARY_TS)} AS ts,
      s.name AS "sessionName", ss.session_status AS "sessionStatus", ss.message_count AS "messageCount", ss.summary,
      ss.llm_summary AS "llmSummary", ss.llm_model AS "llmModel"`,
    from: 'session_summaries ss JOIN sessions s ON s.id = ss.session_id',
    ts: SUMMARY_TS,
    id: 'ss.session_id',
  },
  code_graphs: {
    select: `id::text, tenant_id, project, ${exact('updated_at')} AS ts, commit_sha AS "commit",
      node_count AS "nodeCount", edge_count AS "edgeCount", bytes, metadata, graph,
      ${isoText('created_at')} AS "createdAt"`,
    from: 'code_graphs',
    ts: 'updated_at',
    id: 'id',
  },
};

type Row = Record<string, unknown> & { id: string; tenant_id: string; project: string | null; ts: string };

interface CursorRow {
  kind: string;
  cursor_ts: string;
  cursor_id: string;
  items_pushed: string;
  updated_at: string;
}

/** The Akosha sync's reads and cursors on PostgreSQL; keyset pages over (ts, id) indexes (migrations 0006, 0012). */
export class PostgresSyncRepository implements SyncRepository {
  constructor(private readonly sql: Sql) {}

  async changedSince(kind: SyncKind, after: SyncPosition | null, limit: number): Promise<SyncRecord[]> {
    const s = SOURCES[kind];
    const where = after ? `WHERE (${s.ts}, ${s.id}) > ($2::timestamptz, $3::uuid)` : '';
    const rows = await this.sql.unsafe<Row[]>(
      `SELECT ${s.select} FROM ${s.from} ${where} ORDER BY ${s.ts}, ${s.id} LIMIT $1`,
      after ? [limit, after.ts, after.id] : [limit],
    );
    return rows.map(({ id, tenant_id, project, ts, ...fields }) => ({
      kind,
      id,
      tenantId: tenant_id,
      project,
      updatedAt: ts,
      fields,
    }));
  }

  async backlog(kind: SyncKind, after: SyncPosition | null): Promise<{ pending: number; oldest: string | null }> {
    const s = SOURCES[kind];
    const where = after ? `WHERE (${s.ts}, ${s.id}) > ($1::timestamptz, $2::uuid)` : '';
    const [row] = await this.sql.unsafe<Array<{ pending: number; oldest: string | null }>>(
      `SELECT count(*)::int AS pending, ${isoText(`min(${s.ts})`)} AS oldest FROM ${s.from} ${where}`,
      after ? [after.ts, after.id] : [],
    );
    return { pending: row?.pending ?? 0, oldest: row?.oldest ?? null };
  }

  async state(target: string): Promise<SyncTargetState> {
    const [t] = await this.sql<
      Array<{ last_error: string | null; last_error_at: string | null; last_success_at: string | null }>
    >`SELECT last_error, ${this.sql.unsafe(isoText('last_error_at'))} AS last_error_at,
        ${this.sql.unsafe(isoText('last_success_at'))} AS last_success_at
      FROM sync_targets WHERE target = ${target}`;
    const rows = await this.sql<CursorRow[]>`
      SELECT kind, ${this.sql.unsafe(exact('cursor_ts'))} AS cursor_ts, cursor_id::text AS cursor_id,
        items_pushed::text AS items_pushed, ${this.sql.unsafe(isoText('updated_at'))} AS updated_at
      FROM sync_cursors WHERE target = ${target}`;
    const byKind = new Map(rows.map((r) => [r.kind, r]));
    const cursors: SyncCursor[] = SYNC_KINDS.map((kind) => {
      const r = byKind.get(kind);
      return r
        ? {
            kind,
            position: { ts: r.cursor_ts, id: r.cursor_id },
            itemsPushed: Number(r.items_pushed),
            updatedAt: r.updated_at,
          }
        : { kind, position: null, itemsPushed: 0, updatedAt: null };
    });
    return {
      target,
      lastError: t?.last_error ?? null,
      lastErrorAt: t?.last_error_at ?? null,
      lastSuccessAt: t?.last_success_at ?? null,
      cursors,
    };
  }

  async advance(target: string, kind: SyncKind, position: SyncPosition, pushed: number, now: string) {
    const result = await this.sql`
      INSERT INTO sync_cursors (target, kind, cursor_ts, cursor_id, items_pushed, updated_at)
      VALUES (${target}, ${kind}, ${position.ts}, ${position.id}, ${pushed}, ${now})
      ON CONFLICT (target, kind) DO UPDATE SET
        cursor_ts = excluded.cursor_ts, cursor_id = excluded.cursor_id,
        items_pushed = sync_cursors.items_pushed + excluded.items_pushed, updated_at = excluded.updated_at
      WHERE (sync_cursors.cursor_ts, sync_cursors.cursor_id) < (excluded.cursor_ts, excluded.cursor_id)`;
    return result.count > 0;
  }

  async recordOutcome(target: string, error: string | null, now: string): Promise<void> {
    await this.sql`
      INSERT INTO sync_targets (target, last_error, last_error_at, last_success_at, updated_at)
      VALUES (${target}, ${error}, ${error === null ? null : now}, ${error === null ? now : null}, ${now})
      ON CONFLICT (target) DO UPDATE SET
        last_error = excluded.last_error, last_error_at = excluded.last_error_at,
        last_success_at = coalesce(excluded.last_success_at, sync_targets.last_success_at),
        updated_at = excluded.updated_at`;
  }
}
