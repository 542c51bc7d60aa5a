import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type RunningCli, startWorker } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Real faults: a SIGKILLed worker, a stopped Redis. The provider's faults (failing, hanging, refusing one input) are in
 * faults-breaker.test.ts, at default breaker and retry settings.
 */
describe('fault tolerance (standard mode)', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let provider: FakeEmbeddingServer;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTestDatabase('faults');
    const store = new PostgresStore({ url: db.url });
    await store.migrate();
    await store.close();
    provider = await startFakeEmbeddingServer({ dimension: 16 });
  });
  afterEach(async () => {
    provider.setMode('ok');
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });
  afterAll(async () => {
    await provider.close();
    await db.drop();
  });

  const embeddingConfig = (overrides: Record<string, unknown> = {}) => ({
    provider: 'ollama',
    url: provider.url,
    model: 'fake-embed',
    dimension: 16,
    batchWaitMs: 2,
    ...overrides,
  });
  const env = (prefix: string, redisUrl = REDIS_URL): NodeJS.ProcessEnv => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: redisUrl,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
    SESSION_BUDDY_LOGGING__LEVEL: 'info',
  });
  /** An app that writes (and, when asked, works) in this process. */
  const openApp = async (prefix: string, overrides: Record<string, unknown> = {}, redisUrl = REDIS_URL) => {
    const app = await createApplication(
      testConfig({
        mode: 'standard',
        database: { driver: 'postgres', url: db.url },
        redis: { url: redisUrl, prefix },
        embedding: embeddingConfig(),
        ...overrides,
      }),
      createLogger('silent'),
      { defaultMetrics: false, role: 'api' },
    );
    cleanups.push(() => app.close());
    return app;
  };
  /** Calls an operation as REST and MCP do: raw input parsed with its schema. */
  const run = <T>(app: Application, name: string, input: Record<string, unknown>) =>
    runOperation<T>(app.operations, name, { principal: { tenantId: 'default' }, services: app.services }, input);
  const sessionFor = async (app: Application, name: string) =>
    run<{ id: string }>(app, 'create_session', { name, project: 'faults' });
  const vectorsOf = async (app: Application, sessionId: string) => {
    const store = app.store as PostgresStore;
    const [row] = await store.sql<{ n: number; distinct_n: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT e.message_id)::int AS distinct_n
      FROM message_embeddings e JOIN messages m ON m.id = e.message_id WHERE m.session_id = ${sessionId}`;
    return row as { n: number; distinct_n: number };
  };

  it('SIGKILL of a worker in the middle of 2,000 jobs: every message is embedded exactly once', async () => {
    const prefix = randomPrefix('kill');
    cleanups.push(() => deleteRedisPrefix(REDIS_URL, prefix));
    const workerEnv = {
      ...env(prefix),
      SESSION_BUDDY_WORKERS__LOCK_DURATION_MS: '2000',
      SESSION_BUDDY_WORKERS__STALLED_INTERVAL_MS: '1000',
      SESSION_BUDDY_EMBEDDING__BATCH_SIZE: '2',
    };
    const workers: RunningCli[] = [];
    for (let i = 0; i < 2; i++) workers.push(await startWorker(['--concurrency=4'], workerEnv));
    cleanups.push(() => Promise.all(workers.map((w) => w.stop('SIGKILL'))));
    const writer = await openApp(prefix);
    const session = await sessionFor(writer, 'two thousand');
    // One message per write: a write's messages share one job, so this is 2,000 jobs.
    let next = 0;
    const writeOne = async () => {
      while (next < 2000) {
        const i = next++;
        await run(writer, 'add_message', { sessionId: session.id, role: 'user', content: `job ${i}` });
      }
    };
    await Promise.all(Array.from({ length: 16 }, writeOne));
    await waitFor('200 vectors', async () => (await vectorsOf(writer, session.id)).n >= 200, 60_000);
    const victim = workers[0] as RunningCli;
    expect(await victim.stop('SIGKILL')).toBeNull();
    expect((await vectorsOf(writer, session.id)).n).toBeLessThan(2000);

    await waitFor('2,000 vectors', async () => (await vectorsOf(writer, session.id)).n === 2000, 120_000);
    expect(await vectorsOf(writer, session.id)).toEqual({ n: 2000, distinct_n: 2000 });
    expect(await writer.store.deadLetters.count({ status: 'open' })).toBe(0);
    expect((await writer.store.outbox.backlog()).pending).toBe(0);
  });

  it('Redis stopped while 1,000 messages are written: every write succeeds and all are embedded after it returns', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const app = await openApp(
      randomPrefix('redis-down'),
      {
        workers: { inProcess: true, concurrency: 8 },
        outbox: { pollIntervalMs: 50 },
        embedding: embeddingConfig({ reconcileIntervalMs: 500, reconcileGraceMs: 200 }),
      },
      redis.url,
    );
    const session = await sessionFor(app, 'redis outage');
    const statuses: number[] = [];
    const write = async (i: number) => {
      const res = await app.http.request(`/v1/sessions/${session.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'user', content: `write ${i}` }),
      });
      statuses.push(res.status);
    };
    for (let i = 0; i < 1000; i += 20) {
      if (i === 300) await redis.stop();
      await Promise.all(Array.from({ length: 20 }, (_, j) => write(i + j)));
    }
    expect(statuses).toHaveLength(1000);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    // The API can still accept writes: Redis is reported down but not critical (faults-redis-readiness.test.ts).
    const ready = (await (await app.http.request('/readyz')).json()) as { ready: boolean; dependencies: unknown[] };
    expect(ready.ready).toBe(true);
    expect(ready.dependencies).toContainEqual(
      expect.objectContaining({ name: 'redis', state: 'down', critical: false }),
    );

    await redis.restart();
    await waitFor('1,000 vectors', async () => (await vectorsOf(app, session.id)).n === 1000, 120_000);
    expect(await vectorsOf(app, session.id)).toEqual({ n: 1000, distinct_n: 1000 });
    await waitFor('an empty outbox', async () => (await app.store.outbox.backlog()).pending === 0);
  });
});
