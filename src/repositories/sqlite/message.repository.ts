import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Message, MessageRole } from '../../domain/message.model.js';
import { planAppend } from '../append-plan.js';
import type { AppendResult, MessageListQuery, MessageRepository, NewMessage, WriteFollowUps } from '../ports.js';
import type { Db } from './db.js';
import type { SqliteOutboxRepository } from './outbox.repository.js';

interface MessageRow {
  id: string;
  session_id: string;
  tenant_id: string;
  role: MessageRole;
  content: string;
  metadata: string;
  seq: number;
  idempotency_key: string | null;
  created_at: string;
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    role: row.role,
    content: row.content,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    seq: row.seq,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
  };
}

export class SqliteMessageRepository implements MessageRepository {
  private readonly getStmt;
  private readonly getManyStmt;
  private readonly followingStmt;
  // Built once: creating a transaction function per call showed up in profiles.
  private readonly appendTx;
  private readonly sessionStmt;
  private readonly byKeyStmt;
  private readonly insertStmt;
  private readonly bumpStmt;
  private readonly listAsc;
  private readonly listDesc;

  constructor(
    db: Db,
    private readonly outbox: SqliteOutboxRepository,
    private readonly followUps: WriteFollowUps,
  ) {
    this.getStmt = db.prepare('SELECT * FROM messages WHERE id = ? AND tenant_id = ?');
    // json_each drives the join, so each id is a primary-key lookup.
    this.getManyStmt = db.prepare(
      'SELECT m.* FROM json_each(?) j CROSS JOIN messages m WHERE m.id = j.value AND m.tenant_id = ?',
    );
    this.followingStmt = db.prepare(
      `SELECT m.id AS prior_id, m.role AS prior_role, n.* FROM json_each(?) j
       CROSS JOIN messages m
       JOIN messages n ON n.session_id = m.session_id
         AND n.seq = (SELECT min(x.seq) FROM messages x WHERE x.session_id = m.session_id AND x.seq > m.seq)
       WHERE m.id = j.value AND m.tenant_id = ?`,
    );
    this.appendTx = db.transaction(this.appendInTransaction.bind(this));
    this.sessionStmt = db.prepare('SELECT status, message_count FROM sessions WHERE id = ? AND tenant_id = ?');
    this.byKeyStmt = db.prepare('SELECT * FROM messages WHERE session_id = ? AND idempotency_key = ?');
    this.insertStmt = db.prepare(`
      INSERT INTO messages (id, session_id, tenant_id, role, content, metadata, seq, idempotency_key, created_at,
        received_at)
      VALUES (@id, @sessionId, @tenantId, @role, @content, @metadata, @seq, @idempotencyKey, @createdAt, @receivedAt)`);
    this.bumpStmt = db.prepare('UPDATE sessions SET message_count = message_count + ?, updated_at = ? WHERE id = ?');
    this.listAsc = db.prepare(
      'SELECT * FROM messages WHERE session_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?',
    );
    this.listDesc = db.prepare(
      'SELECT * FROM messages WHERE session_id = ? AND tenant_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
  }

  async append(tenantId: string, sessionId: string, inputs: NewMessage[], now: string): Promise<AppendResult> {
    return this.appendTx.immediate(tenantId, sessionId, inputs, now);
  }

  private appendInTransaction(tenantId: string, sessionId: string, inputs: NewMessage[], now: string): AppendResult {
    const session = this.sessionStmt.get(sessionId, tenantId) as { status: string; message_count: number } | undefined;
    if (!session) throw new NotFoundError('session', sessionId);
    if (session.status === 'archived') {
      throw new ConflictError(`session '${sessionId}' is archived; restore it before adding messages`);
    }
    const stored = new Map<string, Message>();
    for (const input of inputs) {
      if (input.idempotencyKey === null || stored.has(input.idempotencyKey)) continue;
      const row = this.byKeyStmt.get(sessionId, input.idempotencyKey) as MessageRow | undefined;
      if (row) stored.set(input.idempotencyKey, toMessage(row));
    }
    const plan = planAppend(tenantId, sessionId, inputs, stored, session.message_count);
    // received_at: when it arrived (now), whatever created_at the caller gave (analytics sync, reconciler).
    for (const m of plan.rows) this.insertStmt.run({ ...m, metadata: JSON.stringify(m.metadata), receivedAt: now });
    if (plan.rows.length > 0) {
      this.bumpStmt.run(plan.rows.length, now, sessionId);
      this.outbox.insert(this.followUps.messagesAppended(plan.rows));
    }
    return plan.result;
  }

  async get(tenantId: string, id: string): Promise<Message | undefined> {
    const row = this.getStmt.get(id, tenantId) as MessageRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Message[]> {
    if (ids.length === 0) return [];
    const rows = this.getManyStmt.all(JSON.stringify(ids), tenantId) as MessageRow[];
    return rows.map(toMessage);
  }

  async following(
    tenantId: string,
    ids: string[],
  ): Promise<Array<{ priorId: string; priorRole: string; message: Message }>> {
    if (ids.length === 0) return [];
    const rows = this.followingStmt.all(JSON.stringify(ids), tenantId) as Array<
      MessageRow & { prior_id: string; prior_role: string }
    >;
    return rows.map((row) => ({ priorId: row.prior_id, priorRole: row.prior_role, message: toMessage(row) }));
  }

  async list(tenantId: string, sessionId: string, q: MessageListQuery): Promise<Message[]> {
    const rows =
      q.order === 'desc'
        ? this.listDesc.all(sessionId, tenantId, q.afterSeq ?? Number.MAX_SAFE_INTEGER, q.limit)
        : this.listAsc.all(sessionId, tenantId, q.afterSeq ?? 0, q.limit);
    return (rows as MessageRow[]).map(toMessage);
  }
}
