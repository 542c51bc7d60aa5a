import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, startWorker } from '../helpers/cli.js';
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
  const env = () => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
  });

  beforeAll(async () => {
    db = await createTestDatabase('consuming');
    expect(runCli(['migrate'], env()).status).toBe(0);
    api = await startCli([], env());
    worker = await startWorker(['--queues=embedding,analytics'], env());
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await db?.drop();
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
});
