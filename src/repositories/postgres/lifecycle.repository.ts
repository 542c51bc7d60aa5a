import type { JSONValue } from 'postgres';
import type { Checkpoint, SessionLink, WorkflowState } from '../../domain/lifecycle.model.js';
import type { Session } from '../../domain/session.model.js';
import type { LifecycleRepository, LinkedSession, NewCheckpoint, WorkflowWrite } from '../lifecycle.port.js';
import type { NewSession } from '../ports.js';
import { toSession } from './session.repository.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

interface CheckpointRow {
  id: string;
  session_id: string;
  tenant_id: string;
  seq: number;
  name: string;
  checkpoint_type: string;
  summary: string | null;
  open_tasks: string[];
  files: string[];
  quality_score: number | null;
  state: Record<string, unknown>;
  message_count: number;
  idempotency_key: string | null;
  created_at: Date;
}

interface WorkflowRow {
  workflow_id: string;
  version: number;
  state: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: row.id,
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    seq: row.seq,
    name: row.name,
    checkpointType: row.checkpoint_type,
    summary: row.summary,
    openTasks: row.open_tasks,
    files: row.files,
    qualityScore: row.quality_score,
    state: row.state,
    messageCount: row.message_count,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at.toISOString(),
  };
}

function toWorkflowState(row: WorkflowRow): WorkflowState {
  return {
    workflowId: row.workflow_id,
    version: row.version,
    state: row.state,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class PostgresLifecycleRepository implements LifecycleRepository {
  constructor(private readonly sql: Sql) {}

  async createLinkedSession(s: NewSession, link: Omit<SessionLink, 'sessionId'>): Promise<Session> {
    return transaction(this.sql, async (tx) => {
      const [row] = await tx`
        INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
        VALUES (${s.id}, ${s.tenantId}, ${s.project}, ${s.name}, ${s.status},
                ${tx.json(s.metadata as JSONValue)}, ${s.createdAt}, ${s.createdAt})
        RETURNING *`;
      await tx`
        INSERT INTO session_links (session_id, tenant_id, parent_session_id, workflow_id, created_at)
        VALUES (${s.id}, ${s.tenantId}, ${link.parentSessionId}, ${link.workflowId}, ${s.createdAt})`;
      return toSession(row as Parameters<typeof toSession>[0]);
    });
  }

  async getLink(tenantId: string, sessionId: string): Promise<SessionLink | undefined> {
    const [row] = await this.sql<{ parent_session_id: string | null; workflow_id: string | null }[]>`
      SELECT parent_session_id, workflow_id FROM session_links
      WHERE session_id = ${sessionId} AND tenant_id = ${tenantId}`;
    return row ? { sessionId, parentSessionId: row.parent_session_id, workflowId: row.workflow_id } : undefined;
  }

  async listLinked(
    tenantId: string,
    filter: { workflowId: string } | { parentSessionId: string },
    limit: number,
  ): Promise<LinkedSession[]> {
    const sql = this.sql;
    const where =
      'workflowId' in filter
        ? sql`l.workflow_id = ${filter.workflowId}`
        : sql`l.parent_session_id = ${filter.parentSessionId}`;
    const rows = await sql`
      SELECT s.*, l.parent_session_id, l.workflow_id FROM session_links l
      JOIN sessions s ON s.id = l.session_id
      WHERE l.tenant_id = ${tenantId} AND ${where}
      ORDER BY s.created_at, s.id
      LIMIT ${limit}`;
    return rows.map((row) => ({
      session: toSession(row as unknown as Parameters<typeof toSession>[0]),
      link: { sessionId: row.id as string, parentSessionId: row.parent_session_id, workflowId: row.workflow_id },
    }));
  }

  async addCheckpoint(c: NewCheckpoint): Promise<{ checkpoint: Checkpoint; created: boolean } | undefined> {
    return transaction(this.sql, async (tx) => {
      // The session row lock serialises checkpoints of one session, so seq stays gap-free.
      const [session] = await tx<{ message_count: number }[]>`
        SELECT message_count FROM sessions WHERE id = ${c.sessionId} AND tenant_id = ${c.tenantId} FOR UPDATE`;
      if (!session) return undefined;
      if (c.idempotencyKey !== null) {
        const [existing] = await tx<CheckpointRow[]>`
          SELECT * FROM session_checkpoints
          WHERE session_id = ${c.sessionId} AND idempotency_key = ${c.idempotencyKey}`;
        if (existing) return { checkpoint: toCheckpoint(existing), created: false };
      }
      const [row] = await tx<CheckpointRow[]>`
        INSERT INTO session_checkpoints (id, session_id, tenant_id, seq, name, checkpoint_type, summary, open_tasks,
          files, quality_score, state, message_count, idempotency_key, created_at)
        SELECT ${c.id}, ${c.sessionId}, ${c.tenantId}, COALESCE(MAX(seq), 0) + 1,
          COALESCE(${c.name}::text, 'checkpoint ' || (COALESCE(MAX(seq), 0) + 1)), ${c.checkpointType},
          ${c.summary}, ${tx.json(c.openTasks)}, ${tx.json(c.files)}, ${c.qualityScore},
          ${tx.json(c.state as JSONValue)}, ${session.message_count}, ${c.idempotencyKey}, ${c.createdAt}
        FROM session_checkpoints WHERE session_id = ${c.sessionId}
        RETURNING *`;
      return { checkpoint: toCheckpoint(row as CheckpointRow), created: true };
    });
  }

  async listCheckpoints(tenantId: string, sessionId: string, limit: number, beforeSeq?: number): Promise<Checkpoint[]> {
    const sql = this.sql;
    const rows = await sql<CheckpointRow[]>`
      SELECT * FROM session_checkpoints
      WHERE session_id = ${sessionId} AND tenant_id = ${tenantId}
        ${beforeSeq !== undefined ? sql`AND seq < ${beforeSeq}` : sql``}
      ORDER BY seq DESC LIMIT ${limit}`;
    return rows.map(toCheckpoint);
  }

  async getWorkflowState(tenantId: string, workflowId: string): Promise<WorkflowState | undefined> {
    const [row] = await this.sql<WorkflowRow[]>`
      SELECT * FROM workflow_states WHERE tenant_id = ${tenantId} AND workflow_id = ${workflowId}`;
    return row ? toWorkflowState(row) : undefined;
  }

  async putWorkflowState(
    tenantId: string,
    workflowId: string,
    state: Record<string, unknown>,
    expectedVersion: number | undefined,
    now: string,
  ): Promise<WorkflowWrite> {
    const sql = this.sql;
    const json = sql.json(state as JSONValue);
    // One statement each: an unconditional upsert, a create-only insert, or an update guarded by the version.
    const [row] =
      expectedVersion === undefined
        ? await sql<WorkflowRow[]>`
            INSERT INTO workflow_states (tenant_id, workflow_id, version, state, created_at, updated_at)
            VALUES (${tenantId}, ${workflowId}, 1, ${json}, ${now}, ${now})
            ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET
              version = workflow_states.version + 1, state = excluded.state, updated_at = excluded.updated_at
            RETURNING *`
        : expectedVersion === 0
          ? await sql<WorkflowRow[]>`
              INSERT INTO workflow_states (tenant_id, workflow_id, version, state, created_at, updated_at)
              VALUES (${tenantId}, ${workflowId}, 1, ${json}, ${now}, ${now})
              ON CONFLICT (tenant_id, workflow_id) DO NOTHING
              RETURNING *`
          : await sql<WorkflowRow[]>`
              UPDATE workflow_states SET version = version + 1, state = ${json}, updated_at = ${now}
              WHERE tenant_id = ${tenantId} AND workflow_id = ${workflowId} AND version = ${expectedVersion}
              RETURNING *`;
    if (row) return { ok: true, state: toWorkflowState(row) };
    const current = await this.getWorkflowState(tenantId, workflowId);
    return { ok: false, currentVersion: current?.version ?? 0 };
  }
}
