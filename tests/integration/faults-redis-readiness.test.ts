import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';
import { frontDoors, type Json } from '../helpers/front-doors.js';
import { createTestDatabase, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

type Dependency = { name: string; state: string; critical: boolean; error?: string };

/**
 * Issue 15, defect 7: readiness per role during a Redis outage, at default settings, with a throwaway Redis the test
 * stops. The API can still accept writes (the outbox keeps them), so it stays ready and reports Redis as a degraded,
 * non-critical dependency; a worker can take no job, so it is not ready. Queue stats answer 503 + Retry-After.
 */
describe('Redis outage: readiness per role, queue stats (standard mode, default settings)', {
  timeout: 120_000,
}, () => {
  let db: TestDatabase;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let api: Application;
  let worker: Application;

  beforeAll(async () => {
    db = await createTestDatabase('redis_ready');
    redis = await startRedisServer();
    const config = testConfig({
      mode: 'standard',
      database: { driver: 'postgres', url: db.url, migrateOnStart: true },
      redis: { url: redis.url, prefix: randomPrefix('redis-ready') },
      mcp: { enabled: true },
    });
    api = await createApplication(config, createLogger('silent'), { defaultMetrics: false, role: 'api' });
    worker = await createApplication(config, createLogger('silent'), { defaultMetrics: false, role: 'worker' });
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await redis?.stop();
    await db?.drop();
  }, 60_000);

  const readiness = async (app: Application) => {
    const res = await app.http.request('/readyz');
    const body = (await res.json()) as { ready: boolean; dependencies: Dependency[] };
    return { status: res.status, body, redis: body.dependencies.find((d) => d.name === 'redis') as Dependency };
  };

  it('API stays ready and writes succeed; the worker is not ready; queue stats answer 503 with Retry-After', async () => {
    expect((await readiness(api)).status).toBe(200);
    expect((await readiness(worker)).status).toBe(200);
    await redis.stop();

    const doors = frontDoors(api);
    const session = await doors.rest('POST', '/v1/sessions', { name: 'during the outage' });
    expect(session.status).toBe(201);
    const written = await doors.rest('POST', `/v1/sessions/${session.json.id}/messages`, {
      role: 'user',
      content: 'hi',
    });
    expect(written.status).toBe(201);

    const fromApi = await waitFor('Redis seen down by the API', async () => {
      const r = await readiness(api);
      return r.redis.state === 'down' ? r : undefined;
    });
    expect(fromApi.status).toBe(200);
    expect(fromApi.body.ready).toBe(true);
    expect(fromApi.redis).toMatchObject({ state: 'down', critical: false });
    expect(fromApi.redis.error).toMatch(/^Redis at 127\.0\.0\.1:\d+ is unavailable/);
    expect(fromApi.redis.error).not.toMatch(/Stream isn't writeable/);

    const fromWorker = await waitFor('Redis seen down by the worker', async () => {
      const r = await readiness(worker);
      return r.redis.state === 'down' ? r : undefined;
    });
    expect(fromWorker.status).toBe(503);
    expect(fromWorker.body.ready).toBe(false);
    expect(fromWorker.redis).toMatchObject({ state: 'down', critical: true });

    const stats = await api.http.request('/v1/queues/stats');
    expect(stats.status).toBe(503);
    expect(stats.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(stats.headers.get('retry-after')).toBe('5');
    const problem = (await stats.json()) as Json;
    expect(problem).toMatchObject({ status: 503, code: 'unavailable' });
    expect(String(problem.detail)).toMatch(/Redis at 127\.0\.0\.1:\d+ is unavailable/);

    const tool = await doors.mcp('queue_stats', {});
    expect(tool.result?.isError, tool.text).toBe(true);
    expect(tool.result?.content?.[0]?.text).toMatch(/Redis at 127\.0\.0\.1:\d+ is unavailable/);

    await redis.restart();
    await waitFor('the worker ready again', async () => (await readiness(worker)).status === 200, 60_000);
    await waitFor('queue stats again', async () => (await api.http.request('/v1/queues/stats')).status === 200, 60_000);
    await waitFor('the outbox published', async () => (await api.store.outbox.backlog()).pending === 0, 60_000);
  });
});
