import type { QualityRun } from '../../domain/quality.model.js';
import type { NewQualityRun, QualityRepository, QualityRunQuery } from '../quality.port.js';
import type { Db } from './db.js';

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
  details: string;
  idempotency_key: string | null;
  ran_at: string;
  created_at: string;
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
    details: JSON.parse(row.details) as Record<string, unknown>,
    idempotencyKey: row.idempotency_key,
    ranAt: row.ran_at,
    createdAt: row.created_at,
  };
}

export class SqliteQualityRepository implements QualityRepository {
  private readonly insertStmt;
  private readonly byKey;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO quality_runs (id, tenant_id, project, session_id, commit_sha, tool, passed, failed, skipped,
        coverage, lint_errors, duration_ms, details, idempotency_key, ran_at, created_at)
      VALUES (@id, @tenantId, @project, @sessionId, @commit, @tool, @passed, @failed, @skipped,
        @coverage, @lintErrors, @durationMs, @details, @idempotencyKey, @ranAt, @createdAt)
      ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
      RETURNING *`);
    this.byKey = db.prepare('SELECT * FROM quality_runs WHERE tenant_id = ? AND idempotency_key = ?');
  }

  async insert(run: NewQualityRun): Promise<{ run: QualityRun; created: boolean }> {
    const row = this.insertStmt.get({ ...run, details: JSON.stringify(run.details) }) as Row | undefined;
    if (row) return { run: toRun(row), created: true };
    return { run: toRun(this.byKey.get(run.tenantId, run.idempotencyKey) as Row), created: false };
  }

  async list(tenantId: string, q: QualityRunQuery): Promise<QualityRun[]> {
    // Only fixed SQL fragments are concatenated; every value is a bound parameter.
    const where = ['tenant_id = @tenantId', 'project = @project', 'ran_at >= @since'];
    if (q.tool !== undefined) where.push('tool = @tool');
    if (q.toolContains) where.push('instr(lower(tool), lower(@toolContains)) > 0');
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(`SELECT * FROM quality_runs WHERE ${where.join(' AND ')} ORDER BY ran_at ${dir}, id ${dir} LIMIT @limit`)
      .all({
        tenantId,
        project: q.project,
        since: q.since,
        tool: q.tool,
        toolContains: q.toolContains,
        limit: q.limit,
      }) as Row[];
    return rows.map(toRun);
  }
}
