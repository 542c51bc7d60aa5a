import type { JSONValue } from 'postgres';
import type { QualityRun } from '../../domain/quality.model.js';
import type { NewQualityRun, QualityRepository, QualityRunQuery } from '../quality.port.js';
import type { Sql } from './sql.js';

interface Row {
  id: string;
  project: string;
  session_id: string | null;
  commit_sha: string | null;
  tool: string;
  passed: number;
  failed: number;
  skipped: number;
  coverage: number | null;
  lint_errors: number | null;
  duration_ms: number;
  details: Record<string, unknown>;
  idempotency_key: string | null;
  ran_at: Date;
  created_at: Date;
}

function toRun(row: Row): QualityRun {
  return {
    id: row.id,
    project: row.project,
    sessionId: row.session_id,
    commit: row.commit_sha,
    tool: row.tool,
    passed: row.passed,
    failed: row.failed,
    skipped: row.skipped,
    coverage: row.coverage,
    lintErrors: row.lint_errors,
    durationMs: row.duration_ms,
    details: row.details,
    idempotencyKey: row.idempotency_key,
    ranAt: row.ran_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

export class PostgresQualityRepository implements QualityRepository {
  constructor(private readonly sql: Sql) {}

  async insert(r: NewQualityRun): Promise<{ run: QualityRun; created: boolean }> {
    const sql = this.sql;
    const [row] = await sql<Row[]>`
      INSERT INTO quality_runs (id, tenant_id, project, session_id, commit_sha, tool, passed, failed, skipped,
        coverage, lint_errors, duration_ms, details, idempotency_key, ran_at, created_at)
      VALUES (${r.id}, ${r.tenantId}, ${r.project}, ${r.sessionId}, ${r.commit}, ${r.tool}, ${r.passed}, ${r.failed},
        ${r.skipped}, ${r.coverage}, ${r.lintErrors}, ${r.durationMs}, ${sql.json(r.details as JSONValue)},
        ${r.idempotencyKey}, ${r.ranAt}, ${r.createdAt})
      ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
      RETURNING *`;
    if (row) return { run: toRun(row), created: true };
    const [existing] = await sql<Row[]>`
      SELECT * FROM quality_runs WHERE tenant_id = ${r.tenantId} AND idempotency_key = ${r.idempotencyKey}`;
    return { run: toRun(existing as Row), created: false };
  }

  async list(tenantId: string, q: QualityRunQuery): Promise<QualityRun[]> {
    const sql = this.sql;
    const order = q.order === 'asc' ? sql`ORDER BY ran_at ASC, id ASC` : sql`ORDER BY ran_at DESC, id DESC`;
    const rows = await sql<Row[]>`
      SELECT * FROM quality_runs
      WHERE tenant_id = ${tenantId} AND project = ${q.project} AND ran_at >= ${q.since}::timestamptz
        ${q.tool !== undefined ? sql`AND tool = ${q.tool}` : sql``}
        ${q.toolContains ? sql`AND strpos(lower(tool), lower(${q.toolContains})) > 0` : sql``}
      ${order} LIMIT ${q.limit}`;
    return rows.map(toRun);
  }
}
