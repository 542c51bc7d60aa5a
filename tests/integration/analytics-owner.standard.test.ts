import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { AuthService } from '../../src/services/auth.service.js';
import { type RunningCli, startCli, startWorker } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'analytics-owner-test-secret-0123456789abcdef';
/** With auth on, /metrics needs an operator token or metrics.token (the Prometheus way). */
const METRICS_TOKEN = 'analytics-owner-metrics-token-0123456789';

/**
 * Standard mode with real processes: an API process reads analytics through the one worker holding the DuckDB file
 * (the analytics owner); a second worker waits as standby and takes over when the owner is SIGKILLed.
 */
describe('analytics owner (standard mode, real processes)', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let dir: string;
  const prefix = randomPrefix('owner');
  const processes: RunningCli[] = [];
  let api: RunningCli;
  let tokenA: string;
  let tokenB: string;

  const env = (): NodeJS.ProcessEnv => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    SESSION_BUDDY_ANALYTICS__PATH: join(dir, 'analytics.duckdb'),
    SESSION_BUDDY_AUTH__ENABLED: 'true',
    SESSION_BUDDY_AUTH__SECRET: SECRET,
    SESSION_BUDDY_METRICS__TOKEN: METRICS_TOKEN,
    SESSION_BUDDY_LOGGING__LEVEL: 'info',
  });
  const worker = async () => {
    const w = await startWorker([], env());
    processes.push(w);
    return w;
  };
  const request = (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${api.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const json = async <T>(response: Response, status = 200): Promise<T> => {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const query = (token: string, sql: string) => request('/v1/analytics/query', token, { body: { sql } });
  const readiness = async (url: string) =>
    (await (await fetch(`${url}/readyz`)).json()) as { dependencies: Array<{ name: string; state: string }> };
  const ownerState = async (url: string) =>
    (await readiness(url)).dependencies.find((d) => d.name === 'analytics owner')?.state;
  const ownerGauge = async (url: string) =>
    /^session_buddy_analytics_owner(?:\{[^}]*\})? (\d)/m.exec(
      await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text(),
    )?.[1];

  beforeAll(async () => {
    db = await createTestDatabase('owner');
    dir = mkdtempSync(join(tmpdir(), 'sb-owner-'));
    const store = new PostgresStore({ url: db.url });
    await store.migrate();
    await store.close();
    const auth = new AuthService({ ...testConfig().auth, enabled: true, secret: SECRET });
    tokenA = await auth.issue('alice', 'tenant-a');
    tokenB = await auth.issue('bob', 'tenant-b');
    api = await startCli([], env());
    processes.push(api);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await db.drop();
    await deleteRedisPrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without any worker: 503 problem+json with Retry-After, naming the fix', async () => {
    const response = await query(tokenA, 'SELECT 1 AS one');
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = await json<{ code: string; detail: string }>(response, 503);
    expect(problem.code).toBe('unavailable');
    expect(problem.detail).toContain('session-buddy worker --queues analytics');
  });

  let owner: RunningCli;
  let standby: RunningCli;
  let sessionA: string;

  it('one worker owns the database, the second is a standby (readyz and gauge say so)', async () => {
    owner = await worker();
    await waitFor('the first worker to own the analytics database', async () => (await ownerState(owner.url)) === 'up');
    standby = await worker();
    await waitFor('the second worker to be a standby', async () => (await ownerState(standby.url)) === 'down');
    expect(await ownerGauge(owner.url)).toBe('1');
    expect(await ownerGauge(standby.url)).toBe('0');
    const remote = (await readiness(api.url)).dependencies.find((d) => d.name === 'analytics owner (remote)');
    expect(remote?.state).toBe('up');
  });

  it('REST writes reach DuckDB through the owner; the three reads answer 200 with the data', async () => {
    sessionA = (
      await json<{ id: string }>(await request('/v1/sessions', tokenA, { body: { name: 'a', project: 'pa' } }), 201)
    ).id;
    const messages = ['plan the owner', 'owner planned', 'thanks'].map((content, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content,
    }));
    await json(await request(`/v1/sessions/${sessionA}/messages/batch`, tokenA, { body: { messages } }), 201);
    await json(await request('/v1/sessions', tokenB, { body: { name: 'b', project: 'pb' } }), 201);

    const synced = await waitFor(
      'the session analytics to show 3 messages',
      async () => {
        const response = await request(`/v1/analytics/sessions/${sessionA}`, tokenA);
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as { messages: number; dataAsOf: string | null };
        return body.messages === 3 && body.dataAsOf !== null ? body : undefined;
      },
      60_000,
    );
    expect(synced).toMatchObject({ sessionId: sessionA, project: 'pa', byRole: { user: { messages: 2 } } });

    const rows = await json<{ rows: unknown[][]; rowCount: number }>(
      await query(tokenA, 'SELECT count(*) AS n FROM messages'),
    );
    expect(rows.rows).toEqual([[3]]);
    const activity = await json<{ totals: { messages: number; sessions: number } }>(
      await request('/v1/analytics/activity?days=2', tokenA),
    );
    expect(activity.totals).toMatchObject({ messages: 3, sessions: 1 });
  });

  it("tenant A never sees tenant B: per-tenant views and a 404 for the other tenant's session", async () => {
    await waitFor('tenant B facts', async () => {
      const r = await query(tokenB, 'SELECT name FROM sessions');
      return r.status === 200 && ((await r.json()) as { rowCount: number }).rowCount === 1;
    });
    const b = await json<{ rows: unknown[][] }>(await query(tokenB, 'SELECT name, project FROM sessions'));
    expect(b.rows).toEqual([['b', 'pb']]);
    const a = await json<{ rows: unknown[][] }>(await query(tokenA, 'SELECT name FROM sessions'));
    expect(a.rows).toEqual([['a']]);
    await json(await request(`/v1/analytics/sessions/${sessionA}`, tokenB), 404);
    const activityB = await json<{ totals: { messages: number } }>(await request('/v1/analytics/activity', tokenB));
    expect(activityB.totals.messages).toBe(0);
  });

  it('a refused SQL is the same 400 problem as in lite mode', async () => {
    const sql = "SELECT * FROM read_csv('/etc/passwd')";
    const standard = await json<Record<string, unknown>>(await query(tokenA, sql), 400);
    const lite = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false });
    try {
      const response = await lite.http.request('/v1/analytics/query', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
      expect(standard).toEqual(await json(response, 400));
    } finally {
      await lite.close();
    }
  });

  it('the internal route refuses unsigned calls and ordinary API tokens (401)', async () => {
    const call = (token?: string) =>
      fetch(`${owner.url}/internal/analytics/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ principal: { tenantId: 'tenant-b' }, args: [{ sql: 'SELECT 1', limit: 10 }] }),
      });
    await json(await call(), 401);
    await json(await call(tokenB), 401);
  });

  it('SIGKILL of the owner: the standby takes the database over and reads work again', async () => {
    expect(await owner.stop('SIGKILL')).toBeNull();
    await waitFor(
      'the standby to own the analytics database',
      async () => (await ownerState(standby.url)) === 'up',
      60_000,
    );
    await json(
      await request(`/v1/sessions/${sessionA}/messages/batch`, tokenA, {
        body: { messages: [{ role: 'user', content: 'after the kill' }] },
      }),
      201,
    );
    await waitFor(
      'reads through the new owner, with the message written after the kill',
      async () => {
        const response = await query(tokenA, 'SELECT count(*) AS n FROM messages');
        return response.status === 200 && ((await response.json()) as { rows: unknown[][] }).rows[0]?.[0] === 4;
      },
      60_000,
    );
    expect(await ownerGauge(standby.url)).toBe('1');
  });
});
