import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { type ChaosLoadReport, startChaosLoad } from '../helpers/chaos-load.js';
import { type RunningCli, startCli, startWorker } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { pick, type Rng, rng } from '../helpers/fuzz.js';
import { type PostgresServer, startPostgresServer } from '../helpers/pg-server.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/** CHAOS_SEED replays a run: the same seed gives the same faults in the same order with the same pauses. */
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** A request not answered within this is a hang (a hang detector on a noisy machine, not a timing assertion). */
const BOUND_MS = 30_000;
const CHUNK_CHARS = 2_000;

type Fault = 'kill-worker' | 'restart-redis' | 'restart-postgres';

/**
 * Chaos at default settings: the built CLI in standard mode (an API and two workers) over a throwaway PostgreSQL and
 * Redis of this test's own, a healthy embedding provider, and a mixed write/search load, while a seeded schedule
 * SIGKILLs workers (and starts new ones), restarts Redis (which keeps nothing on disk) and restarts PostgreSQL
 * (`stop -m immediate`). Afterwards the database must hold every acknowledged write exactly once, each message
 * exactly one vector, no dead letter and an empty outbox; no request may have hung. docs/faults.md explains a replay.
 */
describe('chaos (standard mode, built CLI, default settings)', { timeout: 300_000 }, () => {
  let pg: PostgresServer;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let provider: FakeEmbeddingServer;
  let api: RunningCli;
  const workers: RunningCli[] = [];
  const retired: RunningCli[] = [];

  const env = (): NodeJS.ProcessEnv => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: pg.adminUrl,
    SESSION_BUDDY_REDIS__URL: redis.url,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
    SESSION_BUDDY_LOGGING__LEVEL: 'info',
  });

  beforeAll(async () => {
    console.log(`chaos: CHAOS_SEED=${SEED} (set it to replay this schedule)`);
    [pg, redis, provider] = await Promise.all([
      startPostgresServer(),
      startRedisServer(),
      startFakeEmbeddingServer({ dimension: 16 }),
    ]);
    const store = new PostgresStore({ url: pg.adminUrl });
    await store.migrate();
    await store.close();
    api = await startCli([], env());
    for (let i = 0; i < 2; i++) workers.push(await startWorker([], env()));
  });
  afterAll(async () => {
    if (process.env.SB_TEST_KEEP_LOG) {
      const { writeFileSync } = await import('node:fs');
      const logs = [api, ...retired, ...workers].map((p, i) => `=== process ${i}\n${p?.output() ?? ''}`);
      writeFileSync(process.env.SB_TEST_KEEP_LOG, logs.join('\n'));
    }
    await Promise.all([api, ...workers].map((p) => p?.stop('SIGKILL')));
    await provider?.close();
    await redis?.stop();
    pg?.destroy();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Uniform in [min, max) ms. */
  const between = (random: Rng, min: number, max: number) => Math.floor(min + random() * (max - min));

  /**
   * The schedule: every kind of fault at least once, in a seeded order, with seeded pauses. A killed worker's
   * replacement boots in the background (kills can meet a worker set that is still booting); Redis and PostgreSQL
   * are restarted only once every replacement is up, so no process starts while its dependencies are down.
   */
  const runFaults = async (random: Rng, timeline: string[], marks: Map<string, number>) => {
    const faults: Fault[] = ['kill-worker', 'kill-worker', 'kill-worker', 'restart-redis', 'restart-postgres'];
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [faults[i], faults[j]] = [faults[j] as Fault, faults[i] as Fault];
    }
    const started = Date.now();
    const note = (what: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
    const booting = new Set<Promise<void>>();
    const replace = (delayMs: number) => {
      const boot: Promise<void> = sleep(delayMs)
        .then(() => startWorker([], env()))
        .then((worker) => {
          workers.push(worker);
          note(`worker ${worker.proc.pid} ready`);
        })
        .finally(() => booting.delete(boot));
      booting.add(boot);
    };
    for (const fault of faults) {
      await sleep(between(random, 2_000, 6_000));
      const downMs = between(random, 1_000, 5_000);
      if (fault === 'kill-worker') {
        if (workers.length === 0) await Promise.race(booting);
        const victim = pick(random, workers);
        workers.splice(workers.indexOf(victim), 1);
        note(`SIGKILL worker ${victim.proc.pid}; a new one starts in ${downMs} ms`);
        await victim.stop('SIGKILL');
        retired.push(victim);
        replace(downMs);
        continue;
      }
      await Promise.all(booting);
      if (fault === 'restart-redis') {
        note(`Redis killed for ${downMs} ms (it keeps nothing on disk)`);
        await redis.stop();
        await sleep(downMs);
        await redis.restart();
        note('Redis back');
      } else {
        note(`PostgreSQL stopped (-m immediate) for ${downMs} ms`);
        pg.stop('immediate');
        await sleep(downMs);
        await pg.start();
        marks.set('postgres back', Date.now());
        note('PostgreSQL back');
      }
    }
    await Promise.all(booting);
  };

  it('every acknowledged write stored and embedded exactly once, no dead letters, no hang', async () => {
    const sessionIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${api.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `chaos ${i}`, project: 'chaos' }),
      });
      expect(res.status).toBe(201);
      sessionIds.push(((await res.json()) as { id: string }).id);
    }

    const random = rng(SEED);
    const load = startChaosLoad({
      url: api.url,
      sessionIds,
      writers: 6,
      searchers: 2,
      boundMs: BOUND_MS,
      random: rng(SEED ^ 0x5a5a5a5a),
      longChars: CHUNK_CHARS * 2,
    });
    const timeline: string[] = [];
    const marks = new Map<string, number>();
    let report: ChaosLoadReport;
    try {
      await runFaults(random, timeline, marks);
      await sleep(5_000);
    } finally {
      report = await load.stop();
      console.log(
        `chaos: seed ${SEED}\n  ${timeline.join('\n  ')}\n` +
          `  writes ${JSON.stringify(report.writes)}, acknowledged messages ${report.acknowledged.size}\n` +
          `  searches ${JSON.stringify(report.searches)}\n` +
          `  503 answers to writes after PostgreSQL was back: ${report.unavailableAt.filter((t) => t >= (marks.get('postgres back') ?? Infinity)).length}`,
      );
    }
    expect(report.hangs).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.writes.gaveUp).toBe(0);
    expect(report.acknowledged.size).toBeGreaterThan(0);
    expect(api.proc.exitCode).toBeNull();

    const store = new PostgresStore({ url: pg.adminUrl });
    try {
      // Jobs lost with Redis are queued again by the reconciler (default interval and grace) and stalled jobs of
      // killed workers come back after the default lock duration: wait for them, then check everything.
      const missing = async () => {
        const [row] = await store.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM messages m
          WHERE NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id)`;
        return row?.n ?? -1;
      };
      await waitFor('every message embedded', async () => (await missing()) === 0, 180_000);
      await waitFor('an empty outbox', async () => (await store.outbox.backlog()).pending === 0, 30_000);

      const keys = await store.sql<{ key: string; n: number }[]>`
        SELECT idempotency_key AS key, count(*)::int AS n FROM messages GROUP BY 1`;
      const stored = new Map(keys.map((r) => [r.key, r.n]));
      // Every acknowledged write is there exactly once; no write (acknowledged or not) is there twice.
      expect([...report.acknowledged].filter((key) => stored.get(key) !== 1)).toEqual([]);
      expect(keys.filter((r) => r.n !== 1)).toEqual([]);
      // Exactly one vector per message (its chunks are embedded and averaged into one vector of the model).
      const vectors = await store.sql<{ messages: number; vectors: number; embedded: number; long: number }[]>`
        SELECT (SELECT count(*)::int FROM messages) AS messages,
               (SELECT count(*)::int FROM message_embeddings) AS vectors,
               (SELECT count(DISTINCT message_id)::int FROM message_embeddings) AS embedded,
               (SELECT count(*)::int FROM messages WHERE length(content) > ${CHUNK_CHARS}) AS long`;
      const counts = vectors[0] as { messages: number; vectors: number; embedded: number; long: number };
      console.log(`chaos: ${JSON.stringify(counts)}`);
      expect(counts.vectors).toBe(counts.messages);
      expect(counts.embedded).toBe(counts.messages);
      expect(await store.deadLetters.count({})).toBe(0);
      expect((await store.outbox.backlog()).pending).toBe(0);
    } finally {
      await store.close();
    }
  });
});
