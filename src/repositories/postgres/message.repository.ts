import type { JSONValue } from 'postgres';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Message, MessageRole } from '../../domain/message.model.js';
import { outboxTraceparent } from '../../tracing/spans.js';
import { planAppend } from '../append-plan.js';
import type { AppendResult, MessageListQuery, MessageRepository, NewMessage, WriteFollowUps } from '../ports.js';
import { outboxRows } from './outbox.repository.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

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
  constructor(
    private readonly sql: Sql,
    private readonly followUps: WriteFollowUps,
  ) {}

  async append(tenantId: string, sessionId: string, inputs: NewMessage[], now: string): Promise<AppendResult> {
    if (inputs.length > 0 && inputs.every((m) => m.idempotencyKey === null)) {
      return this.appendInOneStatement(tenantId, sessionId, inputs, now);
    }
    return transaction(this.sql, async (tx) => {
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
          // When it arrived, whatever created_at the caller gave (analytics sync, embedding reconciler).
          received_at: now,
        }));
        await tx`
          WITH inserted AS (
            INSERT INTO messages ${tx(rows)}
            RETURNING 1
          )
          UPDATE sessions
          SET message_count = message_count + (SELECT count(*) FROM inserted), updated_at = ${now}
          WHERE id = ${sessionId}`;
        const jobs = this.followUps.messagesAppended(plan.rows);
        if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
      }
      return plan.result;
    });
  }

  /**
   * The common case (no idempotency keys) in one round trip instead of five: the UPDATE takes the session
   * row lock and hands out the seq range, the messages and their outbox rows are inserted from it, all in
   * one statement (so one transaction). No row back means the session is missing or archived.
   */
  private async appendInOneStatement(
    tenantId: string,
    sessionId: string,
    inputs: NewMessage[],
    now: string,
  ): Promise<AppendResult> {
    const n = inputs.length;
    const rows = inputs.map((m, i) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      metadata: m.metadata,
      ord: i + 1,
      created_at: m.createdAt,
    }));
    const followUps = this.followUps.messagesAppended(inputs.map((m) => ({ id: m.id, sessionId, tenantId })));
    const traceContext = followUps.length > 0 ? outboxTraceparent(followUps) : null;
    const jobs = followUps.map((j) => ({
      tenant_id: j.tenantId,
      queue: j.queue,
      job_name: j.name,
      job_key: j.key,
      payload: j.payload,
      trace_context: traceContext,
    }));
    // ::text first: a string bound straight to jsonb would be JSON-encoded a second time.
    const [row] = await this.sql<{ base: number }[]>`
      WITH s AS (
        UPDATE sessions SET message_count = message_count + ${n}, updated_at = ${now}
        WHERE id = ${sessionId} AND tenant_id = ${tenantId} AND status <> 'archived'
        RETURNING message_count - ${n} AS base
      ), m AS (
        INSERT INTO messages (id, session_id, tenant_id, role, content, metadata, seq, idempotency_key, created_at,
          received_at)
        SELECT r.id, ${sessionId}, ${tenantId}, r.role, r.content, r.metadata, s.base + r.ord, NULL, r.created_at,
          ${now}::timestamptz
        FROM s, jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
          AS r(id uuid, role text, content text, metadata jsonb, ord int, created_at timestamptz)
        RETURNING 1
      ), o AS (
        INSERT INTO job_outbox (tenant_id, queue, job_name, job_key, payload, trace_context)
        SELECT j.tenant_id, j.queue, j.job_name, j.job_key, j.payload, j.trace_context
        FROM s, jsonb_to_recordset(${JSON.stringify(jobs)}::text::jsonb)
          AS j(tenant_id text, queue text, job_name text, job_key text, payload jsonb, trace_context text)
        RETURNING 1
      )
      SELECT base FROM s`;
    if (!row) {
      const [session] = await this.sql<{ status: string }[]>`
        SELECT status FROM sessions WHERE id = ${sessionId} AND tenant_id = ${tenantId}`;
      if (!session) throw new NotFoundError('session', sessionId);
      throw new ConflictError(`session '${sessionId}' is archived; restore it before adding messages`);
    }
    const messages: Message[] = inputs.map((m, i) => ({
      id: m.id,
      sessionId,
      tenantId,
      role: m.role,
      content: m.content,
      metadata: m.metadata,
      seq: row.base + i + 1,
      idempotencyKey: null,
      createdAt: m.createdAt,
    }));
    return { messages, created: messages.map(() => true) };
  }

  async get(tenantId: string, id: string): Promise<Message | undefined> {
    const [row] = await this.sql<MessageRow[]>`SELECT * FROM messages WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ? toMessage(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Message[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<MessageRow[]>`
      SELECT * FROM messages WHERE id = ANY(${ids}::uuid[]) AND tenant_id = ${tenantId}`;
    return rows.map(toMessage);
  }

  async following(
    tenantId: string,
    ids: string[],
  ): Promise<Array<{ priorId: string; priorRole: string; message: Message }>> {
    if (ids.length === 0) return [];
    const rows = await this.sql<Array<MessageRow & { prior_id: string; prior_role: string }>>`
      SELECT m.id AS prior_id, m.role AS prior_role, n.* FROM messages m
      CROSS JOIN LATERAL (
        SELECT * FROM messages x WHERE x.session_id = m.session_id AND x.seq > m.seq ORDER BY x.seq LIMIT 1
      ) n
      WHERE m.id = ANY(${ids}::uuid[]) AND m.tenant_id = ${tenantId}`;
    return rows.map((row) => ({ priorId: row.prior_id, priorRole: row.prior_role, message: toMessage(row) }));
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
