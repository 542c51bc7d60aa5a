import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRollups } from '../../src/analytics/analytics-rollup.js';
import { ANALYTICS_DDL } from '../../src/analytics/analytics-schema.js';
import { insightsInput } from '../../src/domain/analytics.model.js';
import { AnalyticsService } from '../../src/services/analytics.service.js';

// Crafted facts (real DuckDB): tenant A's project 'web' has one session a day for 40 days with 8–12 messages, and
// on SPIKE_DAY a session with 200 messages, 30 of them tool errors; tenant B has look-alike secret data.
const NOW = new Date('2026-04-30T12:00:00Z');
const SPIKE_DAY = '2026-04-28';
const SPIKE = '01900000-0000-7000-8000-0000000005e1';
const A = { tenantId: 'alpha' };
const B = { tenantId: 'beta' };
let db: DuckDBInstance;
let service: AnalyticsService;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(ANALYTICS_DDL);
  for (const [tenant, project, name] of [
    ['alpha', 'web', 'deploy pipeline'],
    ['beta', 'secret', 'secret deploy'],
  ] as const) {
    await c.run(`
      INSERT INTO facts.sessions SELECT
        '${tenant}-s' || i, '${tenant}', '${project}', '${name} ' || i, CASE WHEN i < 38 THEN 'ended' ELSE 'active' END,
        json_object('workflow_id', 'wf-' || (i % 2)), 8 + (i % 5),
        TIMESTAMPTZ '2026-03-21T09:00:00Z' + INTERVAL (i) DAY, TIMESTAMPTZ '2026-03-21T10:00:00Z' + INTERVAL (i) DAY
      FROM range(40) t(i);
      INSERT INTO facts.messages (id, tenant_id, session_id, project, role, seq, content, chars, created_at) SELECT
        '${tenant}-m' || i || '-' || j, '${tenant}', '${tenant}-s' || i, '${project}', CASE WHEN j = 0 THEN 'user' ELSE 'assistant' END,
        j + 1, CASE WHEN j = 0 THEN 'Set up the deploy pipeline for ${project}' ELSE 'working on it' END, 20,
        TIMESTAMPTZ '2026-03-21T09:00:00Z' + INTERVAL (i) DAY + INTERVAL (j) MINUTE
      FROM range(40) t(i), range(12) u(j) WHERE j < 8 + (i % 5);`);
  }
  await c.run(`
    INSERT INTO facts.sessions VALUES ('${SPIKE}', 'alpha', 'web', 'deploy outage', 'active', '{"workflowId":"wf-x"}',
      200, '${SPIKE_DAY}T08:00:00Z', '${SPIKE_DAY}T18:00:00Z');
    INSERT INTO facts.messages (id, tenant_id, session_id, project, role, seq, content, chars, created_at) SELECT 'alpha-spike-' || j, 'alpha', '${SPIKE}', 'web',
      CASE WHEN j = 0 THEN 'user' WHEN j < 30 THEN 'tool' ELSE 'assistant' END, j + 1,
      CASE WHEN j = 0 THEN 'deploy fails with a timeout' WHEN j < 30 THEN 'TypeError: cannot read properties of undefined'
           ELSE 'retrying: 0 failed so far' END, 40, TIMESTAMPTZ '${SPIKE_DAY}T08:00:00Z' + INTERVAL (j) MINUTE
    FROM range(200) t(j);
    INSERT INTO facts.reflections VALUES
      ('r-a1', 'alpha', 'web', 'alpha-s39', 'pin the node version', ['deploy', 'node'], 0.5, '2026-04-29T10:00:00Z', '2026-04-29T10:00:00Z'),
      ('r-b1', 'beta', 'secret', 'beta-s39', 'secret lesson', ['secret'], 0.5, '2026-04-29T10:00:00Z', '2026-04-29T10:00:00Z');
    INSERT INTO facts.patterns (id, tenant_id, project, name, kind, source, tags, created_at, updated_at, occurrences) VALUES
      ('p-a1', 'alpha', 'web', 'TypeError in deploy', 'recurring-error', 'detected', ['typeerror'], '2026-04-20T00:00:00Z', '2026-04-28T12:00:00Z', 12),
      ('p-a2', 'alpha', 'other', 'elsewhere', 'convention', 'manual', [], '2026-04-20T00:00:00Z', '2026-04-20T00:00:00Z', 0),
      ('p-b1', 'beta', 'secret', 'secret pattern', 'recurring-error', 'detected', [], '2026-04-20T00:00:00Z', '2026-04-28T12:00:00Z', 7);
    INSERT INTO facts.dead_letters VALUES
      ('d-a1', 'alpha', 'embedding', 'embed-messages', 'provider timeout', 5, 'open', '2026-04-28T07:00:00Z', '2026-04-28T07:05:00Z', '2026-04-28T07:05:00Z'),
      ('d-a2', 'alpha', 'embedding', 'embed-messages', 'provider down', 5, 'discarded', '2026-04-27T07:00:00Z', '2026-04-27T07:05:00Z', '2026-04-27T07:05:00Z'),
      ('d-b1', 'beta', 'embedding', 'embed-messages', 'secret error', 5, 'open', '2026-04-28T07:00:00Z', '2026-04-28T07:05:00Z', '2026-04-28T07:05:00Z');`);
  await ensureRollups(c);
  c.closeSync();
  service = new AnalyticsService({ ready: async () => db }, { clock: () => NOW });
});

afterAll(() => db?.closeSync());

describe('get_insights', () => {
  it('flags the spike day against the trailing baseline, with the sessions behind it', async () => {
    const r = await service.insights(A, { days: 14 });
    expect(r).toMatchObject({
      project: null,
      days: 14,
      from: '2026-04-17',
      to: '2026-04-30',
      previousFrom: '2026-04-03',
    });
    const spike = r.anomalies.find((a) => a.metric === 'messages');
    expect(spike).toMatchObject({ day: SPIKE_DAY, direction: 'spike', baselineDays: 28, value: 200 + 8 + (38 % 5) });
    expect(spike?.baselineMedian).toBeGreaterThanOrEqual(8);
    expect(spike?.robustZ).toBeGreaterThanOrEqual(3.5);
    expect(spike?.evidence.sessionIds[0]).toBe(SPIKE);
    expect(r.anomalies.find((a) => a.metric === 'errorMessages')).toMatchObject({ day: SPIKE_DAY, value: 29 });
    // Every other day of the period stays within the baseline.
    expect(new Set(r.anomalies.filter((a) => a.metric === 'messages').map((a) => a.day))).toEqual(new Set([SPIKE_DAY]));
    expect(r.errors.topSessions).toEqual([{ sessionId: SPIKE, errorMessages: 29 }]);
    expect(r.errors.byJob).toEqual([
      expect.objectContaining({
        queue: 'embedding',
        jobName: 'embed-messages',
        deadLetters: 2,
        open: 1,
        deadLetterIds: ['d-a1', 'd-a2'],
      }),
    ]);
    expect(r.activity.perDay).toHaveLength(14);
    expect(r.activity.change.messages.current).toBe(r.activity.perDay.reduce((n, d) => n + d.messages, 0));
  });

  it('finds recurring topics and patterns and cites existing ids in every recommendation', async () => {
    const r = await service.insights(A, { period: 14 });
    const deploy = r.topics.find((t) => t.term === 'deploy');
    expect(deploy).toMatchObject({ reflections: 1 });
    expect(deploy?.sessions).toBeGreaterThanOrEqual(10);
    expect(r.topics.map((t) => t.term)).not.toContain('the');
    expect(r.patterns.map((p) => p.id)).toEqual(['p-a1', 'p-a2']);
    // Most occurrences first (the detected pattern's evidence; a manual pattern has none).
    expect(r.patterns.map((p) => p.occurrences)).toEqual([12, 0]);
    const kinds = r.recommendations.map((x) => x.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['fix-dead-letters', 'investigate-anomaly', 'record-lessons', 'address-pattern']),
    );
    const lessons = r.recommendations.find((x) => x.kind === 'record-lessons');
    expect(lessons?.evidence).toMatchObject({ sessionIds: [SPIKE], counts: { errorMessages: 29 } });
    const c = await db.connect();
    try {
      for (const rec of r.recommendations) {
        const e = rec.evidence;
        expect(
          e.sessionIds.length + e.deadLetterIds.length + e.patternIds.length + e.days.length,
          rec.kind,
        ).toBeGreaterThan(0);
        for (const [table, list] of [
          ['sessions', e.sessionIds],
          ['dead_letters', e.deadLetterIds],
          ['patterns', e.patternIds],
        ] as const) {
          for (const id of list) {
            const found = await c.runAndReadAll(
              `SELECT count(*) FROM facts.${table} WHERE tenant_id = 'alpha' AND id = $1`,
              [id],
            );
            expect(Number(found.getRows()[0]?.[0]), `${rec.kind} cites ${table} ${id}`).toBe(1);
          }
        }
      }
    } finally {
      c.closeSync();
    }
    expect(await service.insights(A, { period: 14 })).toEqual(r);
  });

  it("never shows another tenant's data, and narrows to one project", async () => {
    const a = JSON.stringify(await service.insights(A, { days: 30 }));
    expect(a).not.toMatch(/secret|beta|d-b1|p-b1/);
    const b = await service.insights(B, { days: 30 });
    expect(JSON.stringify(b)).not.toMatch(/alpha|outage|d-a1|p-a1/);
    expect(b.anomalies.filter((x) => x.metric === 'messages')).toEqual([]);
    const other = await service.insights(A, { days: 14, project: 'other' });
    expect(other.activity.change.messages.current).toBe(0);
    expect(other.patterns.map((p) => p.id)).toEqual(['p-a2']);
    expect(other.anomalies).toEqual([]);
  });

  it('reads the period as days, Nd, Nw or a word, and names the field when it is wrong', () => {
    expect(insightsInput.parse({ period: '2w' }).period).toBe(14);
    expect(insightsInput.parse({ period: 'month' }).period).toBe(30);
    expect(insightsInput.parse({ period: '10d', days: '7' })).toEqual({ period: 10, days: 7 });
    const bad = insightsInput.safeParse({ period: 'fortnight' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['period']);
  });
});

describe('get_workflow_metrics', () => {
  it('groups sessions by the workflow id in their metadata, for the caller only', async () => {
    const r = await service.workflowMetrics(A, { days: 7 });
    expect(r.workflows.map((w) => w.workflowId)).toEqual(['wf-1', 'wf-x', 'wf-0']);
    const x = r.workflows.find((w) => w.workflowId === 'wf-x');
    expect(x).toEqual({
      workflowId: 'wf-x',
      sessions: 1,
      byStatus: { active: 1, ended: 0, archived: 0 },
      projects: ['web'],
      messages: 200,
      reflections: 0,
      firstActivityAt: `${SPIKE_DAY}T08:00:00.000Z`,
      lastActivityAt: `${SPIKE_DAY}T18:00:00.000Z`,
      durationSeconds: 10 * 3600,
      sessionIds: [SPIKE],
    });
    const one = await service.workflowMetrics(A, { workflowId: 'wf-1' });
    expect(one.days).toBeNull();
    expect(one.workflows).toEqual([
      expect.objectContaining({
        workflowId: 'wf-1',
        sessions: 20,
        byStatus: { active: 1, ended: 19, archived: 0 },
        reflections: 1,
      }),
    ]);
    expect(one.workflows[0]?.sessionIds[0]).toBe('alpha-s39');
    const b = await service.workflowMetrics(B, { workflowId: 'wf-x' });
    expect(b.workflows).toEqual([]);
    expect(JSON.stringify(await service.workflowMetrics(B, {}))).not.toContain('alpha');
    expect((await service.workflowMetrics(A, { project: 'other' })).workflows).toEqual([]);
  });
});
