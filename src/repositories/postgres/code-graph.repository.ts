import type { JSONValue } from 'postgres';
import type { CodeGraph, CodeGraphInfo } from '../../domain/code-graph.model.js';
import type { CodeGraphRepository, NewCodeGraph } from '../code-graph.port.js';
import type { Sql } from './sql.js';

interface Row {
  id: string;
  project: string;
  commit_sha: string;
  node_count: number;
  edge_count: number;
  bytes: number;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  graph?: Record<string, unknown>;
}

function toInfo(row: Row): CodeGraphInfo {
  return {
    id: row.id,
    project: row.project,
    commit: row.commit_sha,
    nodeCount: row.node_count,
    edgeCount: row.edge_count,
    bytes: row.bytes,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class PostgresCodeGraphRepository implements CodeGraphRepository {
  constructor(private readonly sql: Sql) {}

  async put(g: NewCodeGraph): Promise<CodeGraphInfo> {
    const sql = this.sql;
    const [row] = await sql<Row[]>`
      INSERT INTO code_graphs (id, tenant_id, project, commit_sha, graph, metadata, node_count, edge_count, bytes,
        created_at, updated_at)
      VALUES (${g.id}, ${g.tenantId}, ${g.project}, ${g.commit}, ${sql.json(g.graph as JSONValue)},
        ${sql.json(g.metadata as JSONValue)}, ${g.nodeCount}, ${g.edgeCount}, ${g.bytes}, ${g.now}, ${g.now})
      ON CONFLICT (tenant_id, project, commit_sha) DO UPDATE SET
        graph = excluded.graph, metadata = excluded.metadata, node_count = excluded.node_count,
        edge_count = excluded.edge_count, bytes = excluded.bytes, updated_at = excluded.updated_at
      RETURNING id, project, commit_sha, node_count, edge_count, bytes, metadata, created_at, updated_at`;
    return toInfo(row as Row);
  }

  async list(
    tenantId: string,
    q: { project?: string; limit: number; after?: { createdAt: string; id: string } },
  ): Promise<CodeGraphInfo[]> {
    const sql = this.sql;
    const rows = await sql<Row[]>`
      SELECT id, project, commit_sha, node_count, edge_count, bytes, metadata, created_at, updated_at
      FROM code_graphs
      WHERE tenant_id = ${tenantId}
        ${q.project ? sql`AND project = ${q.project}` : sql``}
        ${q.after ? sql`AND (created_at, id) < (${q.after.createdAt}::timestamptz, ${q.after.id}::uuid)` : sql``}
      ORDER BY created_at DESC, id DESC LIMIT ${q.limit}`;
    return rows.map(toInfo);
  }

  async get(
    tenantId: string,
    by: { id: string } | { project: string; commit?: string },
  ): Promise<CodeGraph | undefined> {
    const sql = this.sql;
    const where =
      'id' in by
        ? sql`id = ${by.id}`
        : by.commit
          ? sql`project = ${by.project} AND commit_sha = ${by.commit}`
          : sql`project = ${by.project}`;
    const [row] = await sql<Row[]>`
      SELECT * FROM code_graphs WHERE tenant_id = ${tenantId} AND ${where}
      ORDER BY created_at DESC, id DESC LIMIT 1`;
    return row ? { ...toInfo(row), graph: row.graph ?? {} } : undefined;
  }
}
