import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError, ValidationError } from '../../src/core/errors.js';
import { AnalyticsService } from '../../src/services/analytics.service.js';
import { FACT_IDS, seededFacts, TENANT_A, TENANT_B } from '../helpers/analytics-facts.js';

// Facts written directly (tests/helpers/analytics-facts.ts); the MCP suite fills DuckDB through the real sync.
let db: DuckDBInstance;
let service: AnalyticsService;
const NOW = new Date('2026-03-02T12:00:00Z');
const A = { tenantId: TENANT_A };
const B = { tenantId: TENANT_B };

beforeAll(async () => {
  db = await seededFacts();
  service = new AnalyticsService({ ready: async () => db }, { clock: () => NOW });
});

afterAll(() => {
  db.closeSync();
});

describe('AnalyticsService.sessionAnalytics', () => {
  it('counts messages and characters per role, the duration, linked reflections and activity per day', async () => {
    const s = await service.sessionAnalytics(A, FACT_IDS.alpha.session);
    expect(s).toEqual({
      sessionId: FACT_IDS.alpha.session,
      project: 'sb/app',
      name: 'first',
      status: 'ended',
      messages: 5,
      chars: 64,
      byRole: {
        user: { messages: 2, chars: 25 },
        assistant: { messages: 2, chars: 28 },
        system: { messages: 0, chars: 0 },
        tool: { messages: 1, chars: 11 },
      },
      firstMessageAt: '2026-03-01T09:00:00.000Z',
      lastMessageAt: '2026-03-02T10:00:00.000Z',
      durationSeconds: 25 * 3600,
      reflections: 1,
      perDay: [
        { day: '2026-03-01', messages: 2, chars: 34 },
        { day: '2026-03-02', messages: 3, chars: 30 },
      ],
      createdAt: '2026-03-01T09:00:00.000Z',
      updatedAt: '2026-03-02T10:00:00.000Z',
      dataAsOf: null,
    });
  });

  it("is not found for another tenant's session", async () => {
    await expect(service.sessionAnalytics(B, FACT_IDS.alpha.session)).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.sessionAnalytics(A, FACT_IDS.beta.session)).rejects.toThrow(
      `session '${FACT_IDS.beta.session}' not found`,
    );
    const b = await service.sessionAnalytics(B, FACT_IDS.beta.session);
    expect(b).toMatchObject({ messages: 1, reflections: 1, name: 'secret-b-session' });
  });
});

describe('AnalyticsService.activitySummary', () => {
  it('sums activity per UTC day, every day of the window, for the caller only', async () => {
    const a = await service.activitySummary(A, { days: 3 });
    expect(a).toEqual({
      project: null,
      days: 3,
      from: '2026-02-28',
      to: '2026-03-02',
      totals: { sessions: 2, messages: 6, reflections: 1, deadLetters: 1, activeSessions: 2 },
      perDay: [
        { day: '2026-02-28', sessions: 0, messages: 0, reflections: 0, deadLetters: 0 },
        { day: '2026-03-01', sessions: 1, messages: 2, reflections: 1, deadLetters: 0 },
        { day: '2026-03-02', sessions: 1, messages: 4, reflections: 0, deadLetters: 1 },
      ],
      messagesByRole: { user: 3, assistant: 2, system: 0, tool: 1 },
      topProjects: [
        { project: 'sb/app', sessions: 1, messages: 5 },
        { project: 'sb/other', sessions: 1, messages: 1 },
      ],
      dataAsOf: null,
    });
    const b = await service.activitySummary(B, { days: 3 });
    expect(b.totals).toEqual({ sessions: 1, messages: 1, reflections: 1, deadLetters: 1, activeSessions: 1 });
    expect(b.topProjects).toEqual([{ project: 'secret-project', sessions: 1, messages: 1 }]);
    expect(JSON.stringify(a)).not.toContain('secret');
  });

  it('narrows to one project and to the last days', async () => {
    const other = await service.activitySummary(A, { project: 'sb/other', days: 3 });
    expect(other.totals).toEqual({ sessions: 1, messages: 1, reflections: 0, deadLetters: 1, activeSessions: 1 });
    expect(other.topProjects).toEqual([{ project: 'sb/other', sessions: 1, messages: 1 }]);
    const today = await service.activitySummary(A, { days: 1 });
    expect(today).toMatchObject({ from: '2026-03-02', to: '2026-03-02' });
    expect(today.totals).toMatchObject({ sessions: 1, messages: 4, reflections: 0 });
    expect(today.perDay).toHaveLength(1);
  });

  it('says how current the facts are once the sync has caught up', async () => {
    const c = await db.connect();
    try {
      await c.run(`INSERT INTO facts.sync_state VALUES
        ('sessions', '2026-03-02T10:00:00Z', '2026-03-02T11:00:00Z'), ('messages', NULL, '2026-03-02T11:30:00Z'),
        ('reflections', NULL, '2026-03-02T11:45:00Z')`);
      const s = await service.sessionAnalytics(A, FACT_IDS.alpha.session);
      expect(s.dataAsOf).toBe('2026-03-02T11:00:00.000Z');
      // dead_letters has not caught up: the summary cannot say.
      expect((await service.activitySummary(A, { days: 1 })).dataAsOf).toBeNull();
    } finally {
      await c.run('DELETE FROM facts.sync_state');
      c.closeSync();
    }
  });
});

describe('AnalyticsService.query', () => {
  it('runs read-only SQL for the caller with the smaller of its limit and the row cap', async () => {
    const r = await service.query(A, { sql: 'SELECT id FROM messages ORDER BY id', params: [], limit: 2 });
    expect(r).toMatchObject({ columns: [{ name: 'id', type: 'VARCHAR' }], rows: [['m-a1'], ['m-a2']], rowCount: 2 });
    expect(r.truncated).toBe(true);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0);
    const b = await service.query(B, { sql: 'SELECT id FROM messages', params: [], limit: 100 });
    expect(b.rows).toEqual([['m-b1']]);
    await expect(
      service.query(A, { sql: 'SELECT * FROM facts.messages', params: [], limit: 10 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('applies its own caps (time) from the options', async () => {
    const slow = new AnalyticsService({ ready: async () => db }, { limits: { timeoutMs: 200 } });
    await expect(
      slow.query(A, {
        sql: 'SELECT count(*) FROM range(100000) a, range(100000) b, range(1000) c',
        params: [],
        limit: 1,
      }),
    ).rejects.toThrow('query exceeded 200 ms and was stopped');
  });

  it('answers 503 when the analytics database cannot be opened (held by another process)', async () => {
    const locked = new AnalyticsService({
      ready: async () => {
        throw new Error('analytics database data/analytics.duckdb is in use by another process: lock');
      },
    });
    const error = await locked.query(A, { sql: 'SELECT 1', params: [], limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/analytics are unavailable: .*in use by another process/);
  });
});
