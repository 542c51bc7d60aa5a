import type { Checkpoint, SessionLink, WorkflowState } from '../../domain/lifecycle.model.js';
import type { Session } from '../../domain/session.model.js';
import type { LifecycleRepository, LinkedSession, NewCheckpoint, WorkflowWrite } from '../lifecycle.port.js';
import type { NewSession } from '../ports.js';
import type { Db } from './db.js';
import { type SessionRow, toSession } from './session.repository.js';

interface CheckpointRow {
  id: string;
  session_id: string;
  tenant_id: string;
  seq: number;
  name: string;
  checkpoint_type: string;
  summary: string | null;
  open_tasks: string;
  files: string;
  quality_score: number | null;
  state: string;
  message_count: number;
  idempotency_key: string | null;
  created_at: string;
}

interface WorkflowRow {
  workflow_id: string;
  version: number;
  state: string;
  created_at: string;
  updated_at: string;
}

type LinkedRow = SessionRow & { parent_session_id: string | null; workflow_id: string | null };

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: row.id,
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    seq: row.seq,
    name: row.name,
    checkpointType: row.checkpoint_type,
    summary: row.summary,
    openTasks: JSON.parse(row.open_tasks) as string[],
    files: JSON.parse(row.files) as string[],
    qualityScore: row.quality_score,
    state: JSON.parse(row.state) as Record<string, unknown>,
    messageCount: row.message_count,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
  };
}

function toWorkflowState(row: WorkflowRow): WorkflowState {
  return {
    workflowId: row.workflow_id,
    version: row.version,
    state: JSON.parse(row.state) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteLifecycleRepository implements LifecycleRepository {
  private readonly insertSession;
  private readonly insertLink;
  private readonly getLinkStmt;
  private readonly byWorkflow;
  private readonly byParent;
  private readonly sessionCount;
  private readonly checkpointByKey;
  private readonly insertCheckpoint;
  private readonly listCheckpointsStmt;
  private readonly getWorkflow;
  private readonly upsertWorkflow;
  private readonly insertWorkflow;
  private readonly updateWorkflow;

  constructor(private readonly db: Db) {
    this.insertSession = db.prepare(`
      INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
      VALUES (@id, @tenantId, @project, @name, @status, @metadata, @createdAt, @createdAt)
      RETURNING *`);
    this.insertLink = db.prepare(`
      INSERT INTO session_links (session_id, tenant_id, parent_session_id, workflow_id, created_at)
      VALUES (@sessionId, @tenantId, @parentSessionId, @workflowId, @createdAt)`);
    this.getLinkStmt = db.prepare(
      'SELECT parent_session_id, workflow_id FROM session_links WHERE session_id = ? AND tenant_id = ?',
    );
    const linked = (where: string) =>
      db.prepare(`
        SELECT s.*, l.parent_session_id, l.workflow_id FROM session_links l
        JOIN sessions s ON s.id = l.session_id
        WHERE l.tenant_id = @tenantId AND ${where}
        ORDER BY s.created_at, s.id LIMIT @limit`);
    this.byWorkflow = linked('l.workflow_id = @value');
    this.byParent = linked('l.parent_session_id = @value');
    this.sessionCount = db.prepare('SELECT message_count FROM sessions WHERE id = ? AND tenant_id = ?').pluck();
    this.checkpointByKey = db.prepare('SELECT * FROM session_checkpoints WHERE session_id = ? AND idempotency_key = ?');
    this.insertCheckpoint = db.prepare(`
      INSERT INTO session_checkpoints (id, session_id, tenant_id, seq, name, checkpoint_type, summary, open_tasks,
        files, quality_score, state, message_count, idempotency_key, created_at)
      SELECT @id, @sessionId, @tenantId, COALESCE(MAX(seq), 0) + 1,
        COALESCE(@name, 'checkpoint ' || (COALESCE(MAX(seq), 0) + 1)), @checkpointType, @summary, @openTasks,
        @files, @qualityScore, @state, @messageCount, @idempotencyKey, @createdAt
      FROM session_checkpoints WHERE session_id = @sessionId
      RETURNING *`);
    this.listCheckpointsStmt = db.prepare(`
      SELECT * FROM session_checkpoints
      WHERE session_id = @sessionId AND tenant_id = @tenantId AND (@beforeSeq IS NULL OR seq < @beforeSeq)
      ORDER BY seq DESC LIMIT @limit`);
    this.getWorkflow = db.prepare('SELECT * FROM workflow_states WHERE tenant_id = ? AND workflow_id = ?');
    const insert = `INSERT INTO workflow_states (tenant_id, workflow_id, version, state, created_at, updated_at)
      VALUES (@tenantId, @workflowId, 1, @state, @now, @now)`;
    this.upsertWorkflow = db.prepare(`${insert}
      ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET
        version = workflow_states.version + 1, state = excluded.state, updated_at = excluded.updated_at
      RETURNING *`);
    this.insertWorkflow = db.prepare(`${insert} ON CONFLICT (tenant_id, workflow_id) DO NOTHING RETURNING *`);
    this.updateWorkflow = db.prepare(`
      UPDATE workflow_states SET version = version + 1, state = @state, updated_at = @now
      WHERE tenant_id = @tenantId AND workflow_id = @workflowId AND version = @expectedVersion
      RETURNING *`);
  }

  async createLinkedSession(s: NewSession, link: Omit<SessionLink, 'sessionId'>): Promise<Session> {
    return this.db
      .transaction(() => {
        const row = this.insertSession.get({ ...s, metadata: JSON.stringify(s.metadata) }) as SessionRow;
        this.insertLink.run({ sessionId: s.id, tenantId: s.tenantId, ...link, createdAt: s.createdAt });
        return toSession(row);
      })
      .immediate();
  }

  async getLink(tenantId: string, sessionId: string): Promise<SessionLink | undefined> {
    const row = this.getLinkStmt.get(sessionId, tenantId) as
      | { parent_session_id: string | null; workflow_id: string | null }
      | undefined;
    return row ? { sessionId, parentSessionId: row.parent_session_id, workflowId: row.workflow_id } : undefined;
  }

  async listLinked(
    tenantId: string,
    filter: { workflowId: string } | { parentSessionId: string },
    limit: number,
  ): Promise<LinkedSession[]> {
    const [stmt, value] =
      'workflowId' in filter ? [this.byWorkflow, filter.workflowId] : [this.byParent, filter.parentSessionId];
    const rows = stmt.all({ tenantId, value, limit }) as LinkedRow[];
    return rows.map((row) => ({
      session: toSession(row),
      link: { sessionId: row.id, parentSessionId: row.parent_session_id, workflowId: row.workflow_id },
    }));
  }

  async addCheckpoint(c: NewCheckpoint): Promise<{ checkpoint: Checkpoint; created: boolean } | undefined> {
    return this.db
      .transaction(() => {
        const messageCount = this.sessionCount.get(c.sessionId, c.tenantId) as number | undefined;
        if (messageCount === undefined) return undefined;
        if (c.idempotencyKey !== null) {
          const existing = this.checkpointByKey.get(c.sessionId, c.idempotencyKey) as CheckpointRow | undefined;
          if (existing) return { checkpoint: toCheckpoint(existing), created: false };
        }
        const row = this.insertCheckpoint.get({
          ...c,
          openTasks: JSON.stringify(c.openTasks),
          files: JSON.stringify(c.files),
          state: JSON.stringify(c.state),
          messageCount,
        }) as CheckpointRow;
        return { checkpoint: toCheckpoint(row), created: true };
      })
      .immediate();
  }

  async listCheckpoints(tenantId: string, sessionId: string, limit: number, beforeSeq?: number): Promise<Checkpoint[]> {
    const rows = this.listCheckpointsStmt.all({
      sessionId,
      tenantId,
      beforeSeq: beforeSeq ?? null,
      limit,
    }) as CheckpointRow[];
    return rows.map(toCheckpoint);
  }

  async getWorkflowState(tenantId: string, workflowId: string): Promise<WorkflowState | undefined> {
    const row = this.getWorkflow.get(tenantId, workflowId) as WorkflowRow | undefined;
    return row ? toWorkflowState(row) : undefined;
  }

  async putWorkflowState(
    tenantId: string,
    workflowId: string,
    state: Record<string, unknown>,
    expectedVersion: number | undefined,
    now: string,
  ): Promise<WorkflowWrite> {
    const params = { tenantId, workflowId, state: JSON.stringify(state), now };
    const row = (
      expectedVersion === undefined
        ? this.upsertWorkflow.get(params)
        : expectedVersion === 0
          ? this.insertWorkflow.get(params)
          : this.updateWorkflow.get({ ...params, expectedVersion })
    ) as WorkflowRow | undefined;
    if (row) return { ok: true, state: toWorkflowState(row) };
    return { ok: false, currentVersion: (await this.getWorkflowState(tenantId, workflowId))?.version ?? 0 };
  }
}
