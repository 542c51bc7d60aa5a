import type { Session, SessionStatus } from '../../domain/session.model.js';
import type { NewSession, SessionChange, SessionListQuery, SessionRepository, WriteFollowUps } from '../ports.js';
import type { Db } from './db.js';
import type { SqliteOutboxRepository } from './outbox.repository.js';

export interface SessionRow {
  id: string;
  tenant_id: string;
  project: string;
  name: string;
  status: SessionStatus;
  metadata: string;
  message_count: number;
  created_at: string;
  updated_at: string;
}

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project,
    name: row.name,
    status: row.status,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    messageCount: row.message_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteSessionRepository implements SessionRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly getManyStmt;
  private readonly updateStmt;
  private readonly deleteStmt;

  constructor(
    private readonly db: Db,
    private readonly outbox: SqliteOutboxRepository,
    private readonly followUps: WriteFollowUps,
  ) {
    this.insertStmt = db.prepare(`
      INSERT INTO sessions (id, tenant_id, project, name, status, metadata, created_at, updated_at)
      VALUES (@id, @tenantId, @project, @name, @status, @metadata, @createdAt, @createdAt)
      RETURNING *`);
    this.getStmt = db.prepare('SELECT * FROM sessions WHERE id = ? AND tenant_id = ?');
    // json_each drives the join, so each id is a primary-key lookup.
    this.getManyStmt = db.prepare(
      'SELECT s.* FROM json_each(?) j CROSS JOIN sessions s WHERE s.id = j.value AND s.tenant_id = ?',
    );
    this.updateStmt = db.prepare(`
      UPDATE sessions SET name = @name, status = @status, metadata = @metadata, updated_at = @updatedAt
      WHERE id = @id RETURNING *`);
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE id = ? AND tenant_id = ?');
  }

  async create(s: NewSession): Promise<Session> {
    const row = this.insertStmt.get({ ...s, metadata: JSON.stringify(s.metadata) }) as SessionRow;
    return toSession(row);
  }

  async get(tenantId: string, id: string): Promise<Session | undefined> {
    const row = this.getStmt.get(id, tenantId) as SessionRow | undefined;
    return row ? toSession(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Session[]> {
    if (ids.length === 0) return [];
    const rows = this.getManyStmt.all(JSON.stringify(ids), tenantId) as SessionRow[];
    return rows.map(toSession);
  }

  async update(
    tenantId: string,
    id: string,
    decide: (current: Session) => SessionChange,
  ): Promise<Session | undefined> {
    return this.db
      .transaction(() => {
        const row = this.getStmt.get(id, tenantId) as SessionRow | undefined;
        if (!row) return undefined;
        const current = toSession(row);
        const change = decide(current);
        const updated = this.updateStmt.get({
          id,
          name: change.name ?? current.name,
          status: change.status ?? current.status,
          metadata: JSON.stringify(change.metadata ?? current.metadata),
          updatedAt: change.updatedAt,
        }) as SessionRow;
        const after = toSession(updated);
        this.outbox.insert(this.followUps.sessionChanged?.(current, after) ?? []);
        return after;
      })
      .immediate();
  }

  async list(tenantId: string, q: SessionListQuery): Promise<Session[]> {
    // Only fixed SQL fragments are concatenated; every value is a bound parameter.
    const column = q.sort === 'updatedAt' ? 'updated_at' : 'created_at';
    const direction = q.order === 'desc' ? 'DESC' : 'ASC';
    const where = ['tenant_id = @tenantId'];
    if (q.project) where.push('project = @project');
    if (q.status) where.push('status = @status');
    if (q.createdAfter) where.push('created_at >= @createdAfter');
    if (q.createdBefore) where.push('created_at < @createdBefore');
    if (q.after) where.push(`(${column}, id) ${q.order === 'desc' ? '<' : '>'} (@afterValue, @afterId)`);
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions WHERE ${where.join(' AND ')}
         ORDER BY ${column} ${direction}, id ${direction} LIMIT @limit`,
      )
      .all({
        tenantId,
        project: q.project,
        status: q.status,
        createdAfter: q.createdAfter,
        createdBefore: q.createdBefore,
        afterValue: q.after?.value,
        afterId: q.after?.id,
        limit: q.limit,
      }) as SessionRow[];
    return rows.map(toSession);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return this.deleteStmt.run(id, tenantId).changes > 0;
  }
}
