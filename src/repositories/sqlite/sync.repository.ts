import type { Statement } from 'better-sqlite3';
import type { SyncPosition } from '../ports.js';
import {
  SYNC_KINDS,
  type SyncCursor,
  type SyncKind,
  type SyncRecord,
  type SyncRepository,
  type SyncTargetState,
} from '../sync.port.js';
import type { Db } from './db.js';

/** A summary changes when it is made again and when its LLM part is written (`saveLlm` moves only that time). */
const SUMMARY_TS = 'max(ss.generated_at, coalesce(ss.llm_generated_at, ss.generated_at))';

/**
 * Per kind: the select list (`id`, `tenant_id`, `project`, `ts` first, then the item's own fields under their
 * camelCase names), the FROM clause, the (ts, id) keyset columns and the fields stored as JSON text.
 */
const SOURCES: Record<SyncKind, { select: string; from: string; ts: string; id: string; json: string[] }> = {
  reflections: {
    select: `id, tenant_id, project, updated_at AS ts, session_id AS "sessionId", content, tags, importance,
      metadata, created_at AS "createdAt"`,
    from: 'reflections',
    ts: 'updated_at',
    id: 'id',
    json: ['tags', 'metadata'],
  },
  patterns: {
    select: `id, tenant_id, project, updated_at AS ts, name, description, kind, source, examples, tags, metadata,
      created_at AS "createdAt"`,
    from: 'patterns',
    ts: 'updated_at',
    id: 'id',
    json: ['examples', 'tags', 'metadata'],
  },
  session_summaries: {
    select: `ss.session_id AS id, ss.tenant_id, s.project, ${SUMMARY_TS} AS ts, s.name AS "sessionName",
      ss.session_status AS "sessionStatus", ss.message_count AS "messageCount", ss.summary,
      ss.llm_summary AS "llmSummary", ss.llm_model AS "llmModel"`,
    from: 'session_summaries ss JOIN sessions s ON s.id = ss.session_id',
    ts: SUMMARY_TS,
    id: 'ss.session_id',
    json: ['summary'],
  },
  code_graphs: {
    select: `id, tenant_id, project, updated_at AS ts, commit_sha AS "commit", node_count AS "nodeCount",
      edge_count AS "edgeCount", bytes, metadata, graph, created_at AS "createdAt"`,
    from: 'code_graphs',
    ts: 'updated_at',
    id: 'id',
    json: ['metadata', 'graph'],
  },
};

type Row = Record<string, unknown> & { id: string; tenant_id: string; project: string | null; ts: string };

function toRecord(kind: SyncKind, row: Row): SyncRecord {
  const { id, tenant_id, project, ts, ...fields } = row;
  for (const name of SOURCES[kind].json) {
    if (typeof fields[name] === 'string') fields[name] = JSON.parse(fields[name] as string);
  }
  return { kind, id, tenantId: tenant_id, project, updatedAt: ts, fields };
}

interface CursorRow {
  kind: string;
  cursor_ts: string;
  cursor_id: string;
  items_pushed: number;
  updated_at: string;
}

/** The Akosha sync's reads and cursors on SQLite: timestamps are ISO 8601 UTC text, so text order is time order. */
export class SqliteSyncRepository implements SyncRepository {
  private readonly reads: Record<
    SyncKind,
    { from: Statement; after: Statement; count: Statement; countAfter: Statement }
  >;
  private readonly targetRow;
  private readonly cursorRows;
  private readonly advanceStmt;
  private readonly outcomeStmt;

  constructor(db: Db) {
    this.reads = Object.fromEntries(
      SYNC_KINDS.map((kind) => {
        const s = SOURCES[kind];
        const after = `(${s.ts}, ${s.id}) > (@ts, @id)`;
        return [
          kind,
          {
            from: db.prepare(`SELECT ${s.select} FROM ${s.from} ORDER BY ${s.ts}, ${s.id} LIMIT @limit`),
            after: db.prepare(
              `SELECT ${s.select} FROM ${s.from} WHERE ${after} ORDER BY ${s.ts}, ${s.id} LIMIT @limit`,
            ),
            count: db.prepare(`SELECT count(*) AS pending, min(${s.ts}) AS oldest FROM ${s.from}`),
            countAfter: db.prepare(`SELECT count(*) AS pending, min(${s.ts}) AS oldest FROM ${s.from} WHERE ${after}`),
          },
        ];
      }),
    ) as SqliteSyncRepository['reads'];
    this.targetRow = db.prepare('SELECT * FROM sync_targets WHERE target = ?');
    this.cursorRows = db.prepare('SELECT * FROM sync_cursors WHERE target = ?');
    this.advanceStmt = db.prepare(`
      INSERT INTO sync_cursors (target, kind, cursor_ts, cursor_id, items_pushed, updated_at)
      VALUES (@target, @kind, @ts, @id, @pushed, @now)
      ON CONFLICT (target, kind) DO UPDATE SET
        cursor_ts = excluded.cursor_ts, cursor_id = excluded.cursor_id,
        items_pushed = sync_cursors.items_pushed + excluded.items_pushed, updated_at = excluded.updated_at
      WHERE (sync_cursors.cursor_ts, sync_cursors.cursor_id) < (excluded.cursor_ts, excluded.cursor_id)`);
    this.outcomeStmt = db.prepare(`
      INSERT INTO sync_targets (target, last_error, last_error_at, last_success_at, updated_at)
      VALUES (@target, @error, CASE WHEN @error IS NULL THEN NULL ELSE @now END,
        CASE WHEN @error IS NULL THEN @now END, @now)
      ON CONFLICT (target) DO UPDATE SET
        last_error = excluded.last_error, last_error_at = excluded.last_error_at,
        last_success_at = coalesce(excluded.last_success_at, sync_targets.last_success_at),
        updated_at = excluded.updated_at`);
  }

  async changedSince(kind: SyncKind, after: SyncPosition | null, limit: number): Promise<SyncRecord[]> {
    const read = this.reads[kind];
    const rows = (after ? read.after.all({ ...after, limit }) : read.from.all({ limit })) as Row[];
    return rows.map((row) => toRecord(kind, row));
  }

  async backlog(kind: SyncKind, after: SyncPosition | null): Promise<{ pending: number; oldest: string | null }> {
    const read = this.reads[kind];
    const row = (after ? read.countAfter.get(after) : read.count.get()) as { pending: number; oldest: string | null };
    return { pending: row.pending, oldest: row.oldest };
  }

  async state(target: string): Promise<SyncTargetState> {
    const t = this.targetRow.get(target) as
      | { last_error: string | null; last_error_at: string | null; last_success_at: string | null }
      | undefined;
    const rows = new Map((this.cursorRows.all(target) as CursorRow[]).map((r) => [r.kind, r]));
    const cursors: SyncCursor[] = SYNC_KINDS.map((kind) => {
      const r = rows.get(kind);
      return r
        ? {
            kind,
            position: { ts: r.cursor_ts, id: r.cursor_id },
            itemsPushed: r.items_pushed,
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
    return this.advanceStmt.run({ target, kind, ...position, pushed, now }).changes > 0;
  }

  async recordOutcome(target: string, error: string | null, now: string): Promise<void> {
    this.outcomeStmt.run({ target, error, now });
  }
}
