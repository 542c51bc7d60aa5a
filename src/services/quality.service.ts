import { ValidationError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import {
  projectFromDirectory,
  type QualityBucket,
  type QualityRun,
  type QualityTrends,
  type RegressionFlag,
  type ToolTrend,
} from '../domain/quality.model.js';
import type { QualityRepository } from '../repositories/quality.port.js';
import type { SessionService } from './session.service.js';

/** Most runs a trend reads (the newest of the period); enough for months of CI on one project. */
export const TREND_RUN_CAP = 10_000;

export interface RecordRunInput {
  project: string;
  sessionId?: string;
  commit?: string;
  tool: string;
  passed: number;
  failed: number;
  skipped: number;
  coverage?: number;
  lintErrors?: number;
  durationMs: number;
  details: Record<string, unknown>;
  ranAt?: string;
  idempotencyKey?: string;
}

/** Quality runs (Crackerjack's contract): record them, read their history, and trends with regressions flagged. */
export class QualityService {
  constructor(
    private readonly repo: QualityRepository,
    private readonly sessions: SessionService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(principal: Principal, input: RecordRunInput): Promise<{ run: QualityRun; created: boolean }> {
    // The session must be the caller's (NotFoundError otherwise).
    if (input.sessionId) await this.sessions.get(principal, input.sessionId);
    const now = this.clock().toISOString();
    return this.repo.insert({
      id: uuidv7(),
      tenantId: principal.tenantId,
      project: input.project,
      sessionId: input.sessionId ?? null,
      commit: input.commit ?? null,
      tool: input.tool,
      passed: input.passed,
      failed: input.failed,
      skipped: input.skipped,
      coverage: input.coverage ?? null,
      lintErrors: input.lintErrors ?? null,
      durationMs: input.durationMs,
      details: input.details,
      idempotencyKey: input.idempotencyKey ?? null,
      ranAt: input.ranAt ?? now,
      createdAt: now,
    });
  }

  async history(
    principal: Principal,
    q: { project?: string; workingDirectory?: string; commandFilter?: string; days: number; limit: number },
  ): Promise<{ project: string; since: string; items: QualityRun[] }> {
    const project = resolveProject(q);
    const since = this.since(q.days);
    const items = await this.repo.list(principal.tenantId, {
      project,
      since,
      toolContains: q.commandFilter?.trim() || undefined,
      order: 'desc',
      limit: q.limit,
    });
    return { project, since, items };
  }

  async trends(
    principal: Principal,
    q: { project?: string; workingDirectory?: string; period: string; tool?: string },
  ): Promise<QualityTrends> {
    const project = resolveProject(q);
    const days = Number.parseInt(q.period, 10);
    const since = this.since(days);
    // The newest runs of the period (at most the cap), then oldest first.
    const runs = (
      await this.repo.list(principal.tenantId, { project, since, tool: q.tool, order: 'desc', limit: TREND_RUN_CAP })
    ).reverse();
    const byTool = new Map<string, QualityRun[]>();
    for (const run of runs) byTool.set(run.tool, [...(byTool.get(run.tool) ?? []), run]);
    const tools: ToolTrend[] = [...byTool.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([tool, list]) => ({
        tool,
        runs: list.length,
        latest: list[list.length - 1] as QualityRun,
        byDay: buckets(list, (r) => r.ranAt.slice(0, 10)),
        byCommit: buckets(
          list.filter((r) => r.commit !== null),
          (r) => r.commit as string,
        ),
      }));
    const regressions = tools
      .flatMap((t) => [
        ...t.byDay.map((b) => ({ tool: t.tool, by: 'day' as const, key: b.key, flags: b.regressions, at: b.lastAt })),
        ...t.byCommit.map((b) => ({
          tool: t.tool,
          by: 'commit' as const,
          key: b.key,
          flags: b.regressions,
          at: b.lastAt,
        })),
      ])
      .filter((r) => r.flags.length > 0)
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .map(({ at: _at, ...r }) => r);
    return { project, period: `${days}d`, since, runs: runs.length, tools, regressions };
  }

  /** Start of the period: midnight UTC `days - 1` days before today, so `1d` is today and `7d` the last 7 days. */
  private since(days: number): string {
    const now = this.clock();
    const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days - 1) * 86_400_000;
    return new Date(start).toISOString();
  }
}

function resolveProject(q: { project?: string; workingDirectory?: string }): string {
  if (q.project) return q.project;
  const project = q.workingDirectory ? projectFromDirectory(q.workingDirectory) : undefined;
  if (!project) {
    throw new ValidationError(
      'working_directory: its last path segment must be a project name (letters, digits, . _ - @ :)',
    );
  }
  return project;
}

/**
 * Groups runs (oldest first) by key, in order of first appearance. A bucket shows its last run's figures (the
 * state at the end of the day or commit) and is flagged against the bucket before it: more failures, lower
 * coverage, more lint errors (coverage and lint compared only when both buckets have them).
 */
function buckets(runs: QualityRun[], keyOf: (run: QualityRun) => string): QualityBucket[] {
  const groups = new Map<string, QualityRun[]>();
  for (const run of runs) {
    const key = keyOf(run);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const out: QualityBucket[] = [];
  for (const [key, list] of groups) {
    const first = list[0] as QualityRun;
    const last = list[list.length - 1] as QualityRun;
    const prev = out[out.length - 1];
    const regressions: RegressionFlag[] = [];
    if (prev) {
      if (last.failed > prev.failed) regressions.push('failures_up');
      if (last.coverage !== null && prev.coverage !== null && last.coverage < prev.coverage) {
        regressions.push('coverage_down');
      }
      if (last.lintErrors !== null && prev.lintErrors !== null && last.lintErrors > prev.lintErrors) {
        regressions.push('lint_errors_up');
      }
    }
    out.push({
      key,
      runs: list.length,
      passed: last.passed,
      failed: last.failed,
      skipped: last.skipped,
      coverage: last.coverage,
      lintErrors: last.lintErrors,
      firstAt: first.ranAt,
      lastAt: last.ranAt,
      regressions,
    });
  }
  return out;
}
