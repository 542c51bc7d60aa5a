import type { JSONValue } from 'postgres';
import type { Session, SessionStatus } from '../../domain/session.model.js';
import type { NewSession, SessionChange, SessionListQuery, SessionRepository, WriteFollowUps } from '../ports.js';
import { outboxRows } from './outbox.repository.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

interface SessionRow {
  id: string;
  tenant_id: string;
  project: string;
  name: string;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  message_count: number;
  created_at: Date;
  updated_at: Date;
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project,
    name: row.name,
    status: row.status,
    metadata: row.metadata,
    messageCount: row.message_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class PostgresSessionRepository implements SessionRepository {
  constructor(
    private readonly sql: Sql,
    private readonly followUps: WriteFollowUps,
  ) {}

  async create(s: NewSession): Promise<Session> {
    const [row] = await this.sql<SessionRow[]>`
      INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
      VALUES (${s.id}, ${s.tenantId}, ${s.project}, ${s.name}, ${s.status},
              ${this.sql.json(s.metadata as JSONValue)}, ${s.createdAt}, ${s.createdAt})
      RETURNING *`;
    return toSession(row as SessionRow);
  }

  async get(tenantId: string, id: string): Promise<Session | undefined> {
    const [row] = await this.sql<SessionRow[]>`SELECT * FROM sessions WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ? toSession(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Session[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<SessionRow[]>`
      SELECT * FROM sessions WHERE id = ANY(${ids}::uuid[]) AND tenant_id = ${tenantId}`;
    return rows.map(toSession);
  }

  async update(
    tenantId: string,
    id: string,
    decide: (current: Session) => SessionChange,
  ): Promise<Session | undefined> {
    return transaction(this.sql, async (tx) => {
      const [row] = await tx<SessionRow[]>`
        SELECT * FROM sessions WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
      if (!row) return undefined;
      const current = toSession(row);
      const change = decide(current);
      const [updated] = await tx<SessionRow[]>`
        UPDATE sessions SET
          name = ${change.name ?? current.name},
          status = ${change.status ?? current.status},
          metadata = ${tx.json((change.metadata ?? current.metadata) as JSONValue)},
          updated_at = ${change.updatedAt}
        WHERE id = ${id}
        RETURNING *`;
      const after = toSession(updated as SessionRow);
      const jobs = this.followUps.sessionChanged?.(current, after) ?? [];
      if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
      return after;
    });
  }

  async list(tenantId: string, q: SessionListQuery): Promise<Session[]> {
    const sql = this.sql;
    const column = q.sort === 'updatedAt' ? sql`updated_at` : sql`created_at`;
    const desc = q.order === 'desc';
    const rows = await sql<SessionRow[]>`
      SELECT * FROM sessions
      WHERE tenant_id = ${tenantId}
        ${q.project ? sql`AND project = ${q.project}` : sql``}
        ${q.status ? sql`AND status = ${q.status}` : sql``}
        ${q.createdAfter ? sql`AND created_at >= ${q.createdAfter}` : sql``}
        ${q.createdBefore ? sql`AND created_at < ${q.createdBefore}` : sql``}
        ${
          q.after
            ? desc
              ? sql`AND (${column}, id) < (${q.after.value}::timestamptz, ${q.after.id}::uuid)`
              : sql`AND (${column}, id) > (${q.after.value}::timestamptz, ${q.after.id}::uuid)`
            : sql``
        }
      ORDER BY ${column} ${desc ? sql`DESC` : sql`ASC`}, id ${desc ? sql`DESC` : sql`ASC`}
      LIMIT ${q.limit}`;
    return rows.map(toSession);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.sql`DELETE FROM sessions WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return result.count > 0;
  }
}
