import type { CodeGraph, CodeGraphInfo } from '../../domain/code-graph.model.js';
import type { CodeGraphRepository, NewCodeGraph } from '../code-graph.port.js';
import type { Db } from './db.js';

interface Row {
  id: string;
  project: string;
  commit_sha: string;
  node_count: number;
  edge_count: number;
  bytes: number;
  metadata: string;
  created_at: string;
  updated_at: string;
  graph?: string;
}

const INFO = 'id, project, commit_sha, node_count, edge_count, bytes, metadata, created_at, updated_at';

function toInfo(row: Row): CodeGraphInfo {
  return {
    id: row.id,
    project: row.project,
    commit: row.commit_sha,
    nodeCount: row.node_count,
    edgeCount: row.edge_count,
    bytes: row.bytes,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteCodeGraphRepository implements CodeGraphRepository {
  private readonly putStmt;
  private readonly byId;
  private readonly byCommit;
  private readonly newest;

  constructor(private readonly db: Db) {
    this.putStmt = db.prepare(`
      INSERT INTO code_graphs (id, tenant_id, project, commit_sha, graph, metadata, node_count, edge_count, bytes,
        created_at, updated_at)
      VALUES (@id, @tenantId, @project, @commit, @graph, @metadata, @nodeCount, @edgeCount, @bytes, @now, @now)
      ON CONFLICT (tenant_id, project, commit_sha) DO UPDATE SET
        graph = excluded.graph, metadata = excluded.metadata, node_count = excluded.node_count,
        edge_count = excluded.edge_count, bytes = excluded.bytes, updated_at = excluded.updated_at
      RETURNING ${INFO}`);
    this.byId = db.prepare('SELECT * FROM code_graphs WHERE tenant_id = ? AND id = ?');
    this.byCommit = db.prepare('SELECT * FROM code_graphs WHERE tenant_id = ? AND project = ? AND commit_sha = ?');
    this.newest = db.prepare(
      'SELECT * FROM code_graphs WHERE tenant_id = ? AND project = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    );
  }

  async put(g: NewCodeGraph): Promise<CodeGraphInfo> {
    const row = this.putStmt.get({
      ...g,
      graph: JSON.stringify(g.graph),
      metadata: JSON.stringify(g.metadata),
    }) as Row;
    return toInfo(row);
  }

  async list(
    tenantId: string,
    q: { project?: string; limit: number; after?: { createdAt: string; id: string } },
  ): Promise<CodeGraphInfo[]> {
    // Only fixed SQL fragments are concatenated; every value is a bound parameter.
    const where = ['tenant_id = @tenantId'];
    if (q.project) where.push('project = @project');
    if (q.after) where.push('(created_at, id) < (@afterCreatedAt, @afterId)');
    const rows = this.db
      .prepare(
        `SELECT ${INFO} FROM code_graphs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`,
      )
      .all({
        tenantId,
        project: q.project,
        afterCreatedAt: q.after?.createdAt,
        afterId: q.after?.id,
        limit: q.limit,
      }) as Row[];
    return rows.map(toInfo);
  }

  async get(
    tenantId: string,
    by: { id: string } | { project: string; commit?: string },
  ): Promise<CodeGraph | undefined> {
    const row = (
      'id' in by
        ? this.byId.get(tenantId, by.id)
        : by.commit
          ? this.byCommit.get(tenantId, by.project, by.commit)
          : this.newest.get(tenantId, by.project)
    ) as Row | undefined;
    return row ? { ...toInfo(row), graph: JSON.parse(row.graph ?? '{}') as Record<string, unknown> } : undefined;
  }
}
