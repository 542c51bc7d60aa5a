import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type RunningCli, startWorker } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 15, defect 6: SIGTERM to a real worker process while its jobs are in flight (the provider hangs, so none can
 * finish within `workers.shutdownTimeoutMs`). Default settings. The worker stops taking jobs, returns the in-flight
 * ones to the queue without spending an attempt, closes in dependency order (no query on a closed pool) and exits 0;
 * another worker then embeds them all, with no dead letter.
 */
describe('worker SIGTERM with jobs in flight (standard mode, real worker process, default settings)', {
  timeout: 180_000,
}, () => {
  let db: TestDatabase;
  let provider: FakeEmbeddingServer;
  let app: Application;
  const prefix = randomPrefix('worker-stop');
  const workers: RunningCli[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('worker_stop');
    const store = new PostgresStore({ url: db.url });
    await store.migrate();
    await store.close();
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    app = await createApplication(
      testConfig({
        mode: 'standard',
        database: { driver: 'postgres', url: db.url },
        redis: { url: REDIS_URL, prefix },
        embedding: { provider: 'ollama', url: provider.url, model: 'fake-embed', dimension: 16 },
      }),
      createLogger('silent'),
      { defaultMetrics: false, role: 'api' },
    );
  });
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await app?.close();
    await provider?.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
    await db?.drop();
  });

  const env = (): NodeJS.ProcessEnv => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
    SESSION_BUDDY_LOGGING__LEVEL: 'info',
  });
  const run = <T>(name: string, input: Record<string, unknown>) =>
    runOperation<T>(app.operations, name, { principal: { tenantId: 'default' }, services: app.services }, input);
  const vectors = async () => (await app.store.embeddings.countForMessages())[app.jobs.embeddings.model] ?? 0;

  it('returns in-flight jobs without penalty, closes in order, exits 0; the next worker embeds them all', async () => {
    provider.setMode('hang');
    const session = await run<{ id: string }>('create_session', { name: 'worker stop', project: 'faults' });
    // One message per write: 30 jobs, all taken at once by a worker (default concurrency 64).
    for (let i = 0; i < 30; i++) await run('add_message', { sessionId: session.id, role: 'user', content: `m ${i}` });
    const queue = new Queue('embedding', { connection: { url: REDIS_URL } as never, prefix });
    try {
      const first = await startWorker([], env());
      workers.push(first);
      await waitFor('30 jobs in flight', async () => (await queue.getJobCounts('active')).active === 30, 60_000);
      await waitFor('the provider called', () => provider.stats().requests > 0);

      expect(await first.stop('SIGTERM')).toBe(0);
      const log = first.output();
      // Nothing failed because the process was closing: no call to a closed embedding service, no query on a closed pool.
      expect(log).not.toMatch(/CONNECTION_ENDED|CONNECTION_CLOSED|embedding service is closed|provider closed/);
      const lines = log
        .split('\n')
        .flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : []));
      // The jobs whose provider call timed out while the worker still ran failed for real (the provider hangs); every
      // other job still running when the shutdown gave up waiting was given back, its attempt not spent.
      const failed = lines.filter((l) => l.msg === 'job failed; will retry');
      expect(failed.every((l) => /did not answer/.test(String(l.err)))).toBe(true);
      const givenBack = new Set(lines.filter((l) => l.msg === 'job given back at shutdown').map((l) => l.key));
      expect(givenBack.size + failed.length).toBe(30);
      const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed']);
      expect(jobs).toHaveLength(30);
      const back = jobs.filter((j) => givenBack.has(j.data.key));
      expect(back).toHaveLength(givenBack.size);
      expect(back.map((j) => j.attemptsMade)).toEqual(back.map(() => 0));
      expect(jobs.filter((j) => j.attemptsMade > 0)).toHaveLength(failed.length);
      expect(await app.store.deadLetters.count({})).toBe(0);

      provider.setMode('ok');
      workers.push(await startWorker([], env()));
      await waitFor('30 vectors', async () => (await vectors()) === 30, 120_000);
      expect(await app.store.deadLetters.count({})).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
