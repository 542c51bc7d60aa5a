import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, startWorker } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * `session_buddy_worker_consuming` (what SessionBuddyWorkerAbsent alerts on) from real processes: an API without
 * workers consumes nothing, a worker started with `--queues embedding,analytics` consumes embedding and, once it
 * holds the DuckDB file, analytics.
 */
describe('worker_consuming gauge on real API and worker processes (standard mode)', { timeout: 180_000 }, () => {
  const prefix = randomPrefix('consuming');
  let db: TestDatabase;
  let api: RunningCli;
  let worker: RunningCli;
  let provider: FakeEmbeddingServer;
  const env = () => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    // An HTTP provider, so that each process has an embedding breaker to report.
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
  });

  beforeAll(async () => {
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    db = await createTestDatabase('consuming');
    expect(runCli(['migrate'], env()).status).toBe(0);
    api = await startCli([], env());
    worker = await startWorker(['--queues=embedding,analytics'], env());
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await provider?.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  const consuming = async (url: string): Promise<Record<string, number>> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Object.fromEntries(
      [...text.matchAll(/^session_buddy_worker_consuming\{queue="([^"]+)"[^}]*\} (\d+)$/gm)].map((m) => [
        m[1] as string,
        Number(m[2]),
      ]),
    );
  };

  it('is 0 on the API, 1 on the worker for its queues (analytics once it is the owner)', async () => {
    expect(await consuming(api.url)).toEqual({ embedding: 0, sync: 0, analytics: 0 });
    await waitFor('the worker to own analytics', async () => (await consuming(worker.url)).analytics === 1, 60_000);
    expect(await consuming(worker.url)).toEqual({ embedding: 1, sync: 0, analytics: 1 });
  });

  it("labels each process's circuit breaker gauge with its role (breakers are per process)", async () => {
    const roles = async (url: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return new Set(
        [...text.matchAll(/^session_buddy_circuit_breaker_state\{([^}]*)\} \d+$/gm)].map(
          (m) => /role="([^"]+)"/.exec(m[1] as string)?.[1],
        ),
      );
    };
    expect([...(await roles(api.url))]).toEqual(['api']);
    expect([...(await roles(worker.url))]).toEqual(['worker']);
  });
});
