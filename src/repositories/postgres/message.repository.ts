import type { JSONValue } from 'postgres';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Message, MessageRole } from '../../domain/message.model.js';
import { planAppend } from '../append-plan.js';
import type { AppendResult, MessageListQuery, MessageRepository, NewMessage, OutboxJob } from '../ports.js';
import { outboxRows } from './outbox.repository.js';
import type { Sql } from './postgres.store.js';

interface MessageRow {
  id: string;
  session_id: string;
  tenant_id: string;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  seq: number;
  idempotency_key: string | null;
  created_at: Date;
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    role: row.role,
    content: row.content,
    metadata: row.metadata,
    seq: row.seq,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at.toISOString(),
  };
}

export class PostgresMessageRepository implements MessageRepository {
  constructor(private readonly sql: Sql) {}

  async append(
    tenantId: string,
    sessionId: string,
    inputs: NewMessage[],
    now: string,
    followUps?: (created: Message[]) => OutboxJob[],
  ): Promise<AppendResult> {
    return this.sql.begin(async (tx) => {
      // The row lock serialises appends to one session, which is what makes seq gap-free.
      const [session] = await tx<{ status: string; message_count: number }[]>`
        SELECT status, message_count FROM sessions
        WHERE id = ${sessionId} AND tenant_id = ${tenantId} FOR UPDATE`;
      if (!session) throw new NotFoundError('session', sessionId);
      if (session.status === 'archived') {
        throw new ConflictError(`session '${sessionId}' is archived; restore it before adding messages`);
      }
      const keys = inputs.flatMap((m) => (m.idempotencyKey === null ? [] : [m.idempotencyKey]));
      const stored = new Map<string, Message>();
      if (keys.length > 0) {
        const rows = await tx<MessageRow[]>`
          SELECT * FROM messages WHERE session_id = ${sessionId} AND idempotency_key = ANY(${keys}::text[])`;
        for (const row of rows) stored.set(row.idempotency_key as string, toMessage(row));
      }
      const plan = planAppend(tenantId, sessionId, inputs, stored, session.message_count);
      if (plan.rows.length > 0) {
        const rows = plan.rows.map((m) => ({
          id: m.id,
          session_id: m.sessionId,
          tenant_id: m.tenantId,
          role: m.role,
          content: m.content,
          metadata: tx.json(m.metadata as JSONValue),
          seq: m.seq,
          idempotency_key: m.idempotencyKey,
          created_at: m.createdAt,
        }));
        await tx`
          WITH inserted AS (
            INSERT INTO messages ${tx(rows)}
            RETURNING 1
          )
          UPDATE sessions
          SET message_count = message_count + (SELECT count(*) FROM inserted), updated_at = ${now}
          WHERE id = ${sessionId}`;
        const jobs = followUps?.(plan.rows) ?? [];
        if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
      }
      return plan.result;
    });
  }

  async get(tenantId: string, id: string): Promise<Message | undefined> {
    const [row] = await this.sql<MessageRow[]>`SELECT * FROM messages WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ? toMessage(row) : undefined;
  }

  async list(tenantId: string, sessionId: string, q: MessageListQuery): Promise<Message[]> {
    const sql = this.sql;
    const desc = q.order === 'desc';
    const rows = await sql<MessageRow[]>`
      SELECT * FROM messages
      WHERE session_id = ${sessionId} AND tenant_id = ${tenantId}
        ${q.afterSeq === undefined ? sql`` : desc ? sql`AND seq < ${q.afterSeq}` : sql`AND seq > ${q.afterSeq}`}
      ORDER BY seq ${desc ? sql`DESC` : sql`ASC`}
      LIMIT ${q.limit}`;
    return rows.map(toMessage);
  }
}
