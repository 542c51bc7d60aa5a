import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { QualityRun, QualityTrends } from '../../src/domain/quality.model.js';
import type { Session } from '../../src/domain/session.model.js';
import { runOperation } from '../../src/operations/run-operation.js';

type Open = () => Promise<{ app: Application; cleanup(): Promise<void> }>;
type Stored = { run: QualityRun; created: boolean };
type History = { project: string; since: string; items: QualityRun[] };

const DAY = 86_400_000;
/** 01:00 UTC `n` days before today: inside a period of more than `n` days, on its own calendar day. */
function daysAgo(n: number, minutes = 0): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - n * DAY + 3_600_000 + minutes * 60_000,
  ).toISOString();
}

/**
 * The Crackerjack contract on one store: quality runs recorded (idempotent, tenant-scoped), trends per day and per
 * commit with regressions flagged, and the compatibility names. Instantiated by tests/unit/quality.lite.test.ts and
 * tests/integration/quality.standard.test.ts, so both stores answer the same input the same way.
 */
export function describeQuality(name: string, open: Open) {
  describe(`quality runs: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    const call = <T>(op: string, input: Record<string, unknown>, tenantId = 'qa-t1') =>
      runOperation<T>(app.operations, op, { principal: { tenantId }, services: app.services }, input);

    beforeAll(async () => {
      ({ app, cleanup } = await open());
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('records a run with defaults, replays an idempotency key, keeps tenants apart, refuses bad input', async () => {
      const session = await call<Session>('create_session', { name: 'qa', project: 'rec' });
      const first = await call<Stored>('record_quality_run', {
        project: 'rec',
        sessionId: session.id,
        commit: 'abc123',
        tool: 'pytest',
        passed: 120,
        failed: 2,
        coverage: 81.5,
        lintErrors: 3,
        durationMs: 45_000,
        details: { failing: ['test_login'] },
        idempotencyKey: 'ci-1',
      });
      expect(first.created).toBe(true);
      expect(first.run).toMatchObject({
        project: 'rec',
        sessionId: session.id,
        commit: 'abc123',
        tool: 'pytest',
        passed: 120,
        failed: 2,
        skipped: 0,
        coverage: 81.5,
        lintErrors: 3,
        durationMs: 45_000,
        details: { failing: ['test_login'] },
        idempotencyKey: 'ci-1',
      });
      expect(first.run.ranAt).toBe(first.run.createdAt);
      const replay = await call<Stored>('record_quality_run', {
        project: 'rec',
        tool: 'pytest',
        passed: 0,
        failed: 99,
        durationMs: 1,
        idempotencyKey: 'ci-1',
      });
      expect(replay).toEqual({ run: first.run, created: false });
      // Another tenant: its own key space, and the first tenant's session is not found.
      expect(
        (await call<Stored>('record_quality_run', { ...minimal('rec'), idempotencyKey: 'ci-1' }, 'qa-t2')).created,
      ).toBe(true);
      await expect(
        call('record_quality_run', { ...minimal('rec'), sessionId: session.id }, 'qa-t2'),
      ).rejects.toBeInstanceOf(NotFoundError);
      const bare = await call<Stored>('record_quality_run', minimal('rec'));
      expect(bare.run).toMatchObject({ sessionId: null, commit: null, coverage: null, lintErrors: null, details: {} });

      for (const bad of [
        { ...minimal('rec'), coverage: 120 },
        { ...minimal('rec'), failed: -1 },
        { ...minimal('rec'), passed: 1.5 },
        { ...minimal('rec'), tool: '' },
        { ...minimal('rec'), ranAt: 'yesterday' },
        { ...minimal('rec'), unknown: 1 },
        { tool: 'pytest', passed: 1, failed: 0, durationMs: 1 },
      ]) {
        await expect(call('record_quality_run', bad), JSON.stringify(bad)).rejects.toBeInstanceOf(ValidationError);
      }
      // A deleted session leaves its runs, without the session.
      await call('delete_session', { sessionId: session.id });
      const history = await call<History>('crackerjack_history', { project: 'rec' });
      expect(history.items.find((r) => r.id === first.run.id)?.sessionId).toBeNull();
    });

    it('trends: per day and per commit, the last run of each, regressions flagged against the one before', async () => {
      const runs = [
        // pytest: day 3 ago commit c1 (2 failed, 80%), a second run that day fixes one failure;
        // day 2 ago commit c2 fails more; today commit c3 recovers failures but loses coverage.
        { tool: 'pytest', commit: 'c1', passed: 98, failed: 2, coverage: 80, ranAt: daysAgo(3) },
        { tool: 'pytest', commit: 'c1', passed: 99, failed: 1, coverage: 80, ranAt: daysAgo(3, 30) },
        { tool: 'pytest', commit: 'c2', passed: 95, failed: 5, coverage: 82, ranAt: daysAgo(2) },
        { tool: 'pytest', commit: 'c3', passed: 100, failed: 0, coverage: 79.5, ranAt: daysAgo(0) },
        // ruff: lint errors go up on c2; no coverage.
        { tool: 'ruff', commit: 'c1', passed: 1, failed: 0, lintErrors: 4, ranAt: daysAgo(3) },
        { tool: 'ruff', commit: 'c2', passed: 1, failed: 0, lintErrors: 9, ranAt: daysAgo(2) },
        // outside a 30-day period
        { tool: 'pytest', commit: 'c0', passed: 1, failed: 50, coverage: 10, ranAt: daysAgo(40) },
      ];
      for (const r of runs) await call('record_quality_run', { project: 'trend', durationMs: 1000, ...r });
      await call('record_quality_run', { ...minimal('trend'), failed: 999, ranAt: daysAgo(1) }, 'qa-t2');

      const t = await call<QualityTrends>('get_quality_trends', { project: 'trend', period: '30d' });
      expect(t).toMatchObject({ project: 'trend', period: '30d', runs: 6 });
      expect(t.since).toBe(daysAgo(29).replace('T01:00:00.000Z', 'T00:00:00.000Z'));
      expect(t.tools.map((x) => [x.tool, x.runs, x.latest.commit])).toEqual([
        ['pytest', 4, 'c3'],
        ['ruff', 2, 'c2'],
      ]);
      const pytest = t.tools[0];
      expect(pytest?.byDay.map((b) => [b.key, b.runs, b.failed, b.coverage, b.regressions])).toEqual([
        [daysAgo(3).slice(0, 10), 2, 1, 80, []],
        [daysAgo(2).slice(0, 10), 1, 5, 82, ['failures_up']],
        [daysAgo(0).slice(0, 10), 1, 0, 79.5, ['coverage_down']],
      ]);
      expect(pytest?.byCommit.map((b) => [b.key, b.runs, b.failed, b.regressions])).toEqual([
        ['c1', 2, 1, []],
        ['c2', 1, 5, ['failures_up']],
        ['c3', 1, 0, ['coverage_down']],
      ]);
      expect(pytest?.byDay[0]).toMatchObject({ firstAt: daysAgo(3), lastAt: daysAgo(3, 30), passed: 99 });
      expect(t.tools[1]?.byCommit.map((b) => [b.key, b.lintErrors, b.regressions])).toEqual([
        ['c1', 4, []],
        ['c2', 9, ['lint_errors_up']],
      ]);
      // Every flagged bucket, newest first (ties: input order of tool, then day before commit).
      expect(t.regressions.map((r) => [r.tool, r.by, r.key, r.flags])).toEqual([
        ['pytest', 'day', daysAgo(0).slice(0, 10), ['coverage_down']],
        ['pytest', 'commit', 'c3', ['coverage_down']],
        ['pytest', 'day', daysAgo(2).slice(0, 10), ['failures_up']],
        ['pytest', 'commit', 'c2', ['failures_up']],
        ['ruff', 'day', daysAgo(2).slice(0, 10), ['lint_errors_up']],
        ['ruff', 'commit', 'c2', ['lint_errors_up']],
      ]);

      // A shorter period, one tool, a longer one reaching the old run.
      const short = await call<QualityTrends>('get_quality_trends', { project: 'trend', period: '2d', tool: 'pytest' });
      expect(short.tools.map((x) => [x.tool, x.runs])).toEqual([['pytest', 1]]);
      expect(short.regressions).toEqual([]);
      const long = await call<QualityTrends>('get_quality_trends', { project: 'trend', period: 90 });
      expect(long.period).toBe('90d');
      expect(long.runs).toBe(7);
      // The default period is 30 days; another tenant's runs never show; an unknown project has no tools.
      expect((await call<QualityTrends>('get_quality_trends', { project: 'trend' })).runs).toBe(6);
      expect((await call<QualityTrends>('get_quality_trends', { project: 'nothing' })).tools).toEqual([]);
      for (const bad of [{ project: 'trend', period: '0d' }, { project: 'trend', period: '1y' }, { period: '7d' }]) {
        await expect(call('get_quality_trends', bad), JSON.stringify(bad)).rejects.toBeInstanceOf(ValidationError);
      }
    });

    it('compatibility names: crackerjack_metrics is get_quality_trends; crackerjack_history lists runs newest first', async () => {
      await call('record_quality_run', { ...minimal('compat'), tool: 'crackerjack lint', ranAt: daysAgo(1) });
      await call('record_quality_run', { ...minimal('compat'), tool: 'pytest', failed: 3, ranAt: daysAgo(0) });
      await call('record_quality_run', { ...minimal('compat'), tool: 'pytest', ranAt: daysAgo(10) });

      const metrics = await call<QualityTrends>('crackerjack_metrics', { workingDirectory: '/home/me/src/compat/' });
      expect(metrics).toEqual(await call<QualityTrends>('get_quality_trends', { project: 'compat', period: '30d' }));
      const week = await call<QualityTrends>('crackerjack_metrics', { project: 'compat', days: 7 });
      expect(week).toEqual(await call<QualityTrends>('get_quality_trends', { project: 'compat', period: '7d' }));

      const history = await call<History>('crackerjack_history', { workingDirectory: '/home/me/src/compat' });
      expect(history.project).toBe('compat');
      expect(history.items.map((r) => [r.tool, r.failed])).toEqual([
        ['pytest', 3],
        ['crackerjack lint', 0],
      ]);
      const filtered = await call<History>('crackerjack_history', {
        project: 'compat',
        commandFilter: 'LINT',
        days: 30,
      });
      expect(filtered.items.map((r) => r.tool)).toEqual(['crackerjack lint']);
      expect(
        (await call<History>('crackerjack_history', { project: 'compat', days: 30, limit: 2 })).items,
      ).toHaveLength(2);
      await expect(call('crackerjack_history', { workingDirectory: '/' })).rejects.toBeInstanceOf(ValidationError);
      await expect(call('crackerjack_metrics', {})).rejects.toBeInstanceOf(ValidationError);
    });

    it('REST: record (201, 200 on replay), trends and history on their routes; bad input is a 400 problem+json', async () => {
      const rest = async (method: string, path: string, body?: unknown) => {
        const res = await app.http.request(path, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        });
        return {
          status: res.status,
          type: res.headers.get('content-type'),
          json: (await res.json()) as Record<string, unknown>,
        };
      };
      const run = { ...minimal('rest-q'), commit: 'r1', coverage: 70, idempotencyKey: 'rest-1' };
      expect((await rest('POST', '/v1/quality-runs', run)).status).toBe(201);
      expect(await rest('POST', '/v1/quality-runs', run)).toMatchObject({ status: 200, json: { created: false } });
      await rest('POST', '/v1/quality-runs', { ...minimal('rest-q'), commit: 'r2', coverage: 65 });
      const trends = await rest('GET', '/v1/quality-runs/trends?project=rest-q&period=7d');
      expect(trends).toMatchObject({ status: 200, json: { runs: 2, period: '7d' } });
      expect(trends.json.regressions).toEqual([{ tool: 'pytest', by: 'commit', key: 'r2', flags: ['coverage_down'] }]);
      const history = await rest('GET', '/v1/quality-runs?project=rest-q&days=1&limit=1');
      expect(history).toMatchObject({ status: 200, json: { project: 'rest-q' } });
      expect(history.json.items).toHaveLength(1);
      const bad = await rest('POST', '/v1/quality-runs', { ...minimal('rest-q'), coverage: 101 });
      expect(bad).toMatchObject({ status: 400, type: 'application/problem+json' });
      expect(JSON.stringify(bad.json)).toMatch(/coverage/);
    });
  });
}

function minimal(project: string) {
  return { project, tool: 'pytest', passed: 10, failed: 0, durationMs: 100 };
}
