/**
 * pipeline: end-to-end throughput of the embedding pipeline in standard mode — messages written
 * through the service layer (`services.messages.addBatch`) → outbox → relay → BullMQ → a worker in
 * its own process (`embed-messages`, one job per batch written, embedding provider `hash`) → vector stored in PostgreSQL —
 * from the first write until the last vector exists, in messages/s. Baseline, in the same run:
 * raw BullMQ, `Queue.addBulk` of as many no-op jobs in batches of the same size, consumed by a bare
 * BullMQ Worker in its own process with the same concurrency, from the first add until the last
 * job has completed.
 *
 * Every side gets a fresh throwaway database (pipeline) and a fresh random Redis prefix, deleted
 * afterwards; rounds alternate which side goes first.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { siblingModule } from '../lib/paths.js';
import { createMigratedDatabase } from '../lib/postgres.js';
import { throwawayRedisPrefix } from '../lib/redis.js';
import { compareMeasurements, type Measurement, type Scenario, type ScenarioContext } from '../lib/scenario.js';
import { startServerProcess } from '../lib/server-process.js';
import type { NoopWorkerSpec } from '../lib/servers/bullmq-noop-worker.server.js';
import type { PipelineWorkerSpec } from '../lib/servers/pipeline-worker.server.js';
import { committedConfig, mergeConfig } from '../lib/settings.js';
import { summarize } from '../lib/stats.js';

const TARGET_RATIO = 0.6;
/** Messages (pipeline) and jobs (baseline) per round. BENCH_PIPELINE_N (Default: 5000) */
const N = Number(process.env.BENCH_PIPELINE_N ?? 5000);
/**
 * Messages per write (addBatch) and jobs per addBulk. A write's messages are embedded by one job, so 1 measures
 * the one-message-per-request path (one job per message). BENCH_PIPELINE_BATCH (Default: 100)
 */
const BATCH_SIZE = Math.max(1, Number(process.env.BENCH_PIPELINE_BATCH ?? 100));
/** Concurrent writers (addBatch calls, or addBulk calls) in flight. */
const WRITERS = 8;
/** Jobs in flight in the worker process, both sides. */
const CONCURRENCY = 64;
const POLL_MS = 20;
const TIMEOUT_MS = 180_000;
const RAW_QUEUE = 'bench-noop';

const PIPELINE_WORKER = siblingModule(import.meta.url, '../lib/servers/pipeline-worker.server.js');
const NOOP_WORKER = siblingModule(import.meta.url, '../lib/servers/bullmq-noop-worker.server.js');

const CONTENT =
  'Refactor the session repository so that appends take a row lock, then add a contract test that ' +
  'runs against both adapters and checks that seq stays gap-free under concurrent writers.';

interface Run {
  /** Messages embedded / jobs completed. */
  done: number;
  /** First write/add until the last vector exists / the last job completed. */
  seconds: number;
  /** First write/add until the last write/add was acknowledged. */
  writeSeconds: number;
  /** Per message/job: written/added until vector stored/completed (ms). */
  latencies: Float64Array;
  /** CPU time (user + system, µs) of the writer (this process) and the worker process during the run. */
  writerCpuUs: number;
  workerCpuUs: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` batches with `WRITERS` concurrent callers. */
async function writeBatches(count: number, write: (batch: number) => Promise<void>): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < count) await write(next++);
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

/** Polls `count` until it reaches `n` (or the timeout); returns the time it first did, or undefined. */
async function waitForCount(count: () => Promise<number>, n: number, started: number): Promise<number | undefined> {
  while (performance.now() - started < TIMEOUT_MS) {
    if ((await count()) >= n) return performance.now();
    await sleep(POLL_MS);
  }
  return undefined;
}

async function runPipeline(ctx: ScenarioContext, label: string): Promise<Run> {
  const { settings } = ctx;
  const database = await createMigratedDatabase(settings.pgAdminUrl, 'the pipeline scenario');
  const redis = throwawayRedisPrefix(settings.redisUrl, `sb-bench-${randomBytes(6).toString('hex')}`);
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
    const overrides = mergeConfig(
      {
        mode: 'standard',
        database: { driver: 'postgres', url: database.url, poolMax, migrateOnStart: false },
        redis: { url: settings.redisUrl, prefix: redis.prefix },
        embedding: { provider: 'hash' },
        workers: { inProcess: false, concurrency: CONCURRENCY },
        logging: { level: 'warn' },
      },
      settings.sessionBuddyConfig,
    );
    const worker = await startServerProcess(PIPELINE_WORKER, { overrides } satisfies PipelineWorkerSpec, {
      label: `${label} worker`,
      cpuProfileDir: settings.cpuProfileDir && `${settings.cpuProfileDir}/pipeline-session-buddy-worker`,
    });
    const logger = createLogger('warn', 'stderr');
    // The writer is an API process (outbox relay, no workers); only its REST layer is skipped.
    const app = await createApplication(committedConfig(overrides), logger, { role: 'api', defaultMetrics: false });
    try {
      const principal = { tenantId: app.config.auth.defaultTenant };
      const batches = Math.ceil(N / BATCH_SIZE);
      const sessionIds: string[] = [];
      for (let i = 0; i < batches; i++) {
        sessionIds.push(
          (await app.services.sessions.create(principal, { name: `bench ${i + 1}`, project: 'bench', metadata: {} }))
            .id,
        );
      }
      const bodies = sessionIds.map((_, b) =>
        Array.from({ length: Math.min(BATCH_SIZE, N - b * BATCH_SIZE) }, (_, i) => ({
          role: 'user' as const,
          content: `${CONTENT} (#${b * BATCH_SIZE + i})`,
          metadata: { source: 'bench' },
        })),
      );

      const workerCpu0 = await worker.cpuUsage();
      const writerCpu0 = process.cpuUsage();
      const started = performance.now();
      let writeDone = Number.NaN;
      const writes = writeBatches(batches, async (b) => {
        await app.services.messages.addBatch(principal, sessionIds[b] as string, bodies[b] ?? []);
      }).then(() => {
        writeDone = performance.now();
      });
      const [finished] = await Promise.all([
        waitForCount(
          async () => (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM message_embeddings`)[0]?.n ?? 0,
          N,
          started,
        ),
        writes,
      ]);
      const writerCpu = process.cpuUsage(writerCpu0);
      const workerCpu1 = await worker.cpuUsage();

      const problems: string[] = [];
      const [{ messages, vectors }] = (await sql<{ messages: number; vectors: number }[]>`
        SELECT (SELECT count(*)::int FROM messages) AS messages,
               (SELECT count(*)::int FROM message_embeddings) AS vectors`) as unknown as [
        { messages: number; vectors: number },
      ];
      if (messages !== N) problems.push(`${messages} messages stored, expected ${N}`);
      if (finished === undefined) problems.push(`only ${vectors} of ${N} vectors after ${TIMEOUT_MS / 1000}s`);
      else if (vectors !== N) problems.push(`${vectors} vectors stored, expected ${N}`);
      const rows = await sql<{ ms: number }[]>`
        SELECT extract(epoch FROM e.created_at - m.created_at)::float8 * 1000 AS ms
        FROM message_embeddings e JOIN messages m ON m.id = e.message_id`;
      const end = finished ?? performance.now();
      return {
        done: vectors,
        seconds: (end - started) / 1000,
        writeSeconds: (writeDone - started) / 1000,
        latencies: Float64Array.from(rows, (r) => r.ms),
        writerCpuUs: writerCpu.user + writerCpu.system,
        workerCpuUs: workerCpu1.user + workerCpu1.system - workerCpu0.user - workerCpu0.system,
        problems,
      };
    } finally {
      await app.close();
      logger.flush();
      await worker.stop().catch((error: unknown) => ctx.log(`${label}: ${(error as Error).message.split('\n')[0]}`));
    }
  } finally {
    await sql.end({ timeout: 5 });
    await redis.drop();
    await database.drop();
  }
}

async function runRawBullMq(ctx: ScenarioContext, label: string): Promise<Run> {
  const { settings } = ctx;
  const redis = throwawayRedisPrefix(settings.redisUrl, `sb-bench-${randomBytes(6).toString('hex')}`);
  const connection = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(RAW_QUEUE, { connection, prefix: redis.prefix });
  try {
    await queue.waitUntilReady();
    const worker = await startServerProcess(
      NOOP_WORKER,
      {
        redisUrl: settings.redisUrl,
        prefix: redis.prefix,
        queue: RAW_QUEUE,
        concurrency: CONCURRENCY,
      } satisfies NoopWorkerSpec,
      {
        label: `${label} worker`,
        cpuProfileDir: settings.cpuProfileDir && `${settings.cpuProfileDir}/pipeline-raw-bullmq-worker`,
      },
    );
    try {
      const batches = Math.ceil(N / BATCH_SIZE);
      const bodies = Array.from({ length: batches }, (_, b) =>
        Array.from({ length: Math.min(BATCH_SIZE, N - b * BATCH_SIZE) }, (_, i) => ({
          name: 'noop',
          data: { key: `bench:${b * BATCH_SIZE + i}`, tenantId: 'default', payload: { n: b * BATCH_SIZE + i } },
          // Kept so that the latencies can be read afterwards.
          opts: { jobId: `job-${b * BATCH_SIZE + i}`, removeOnComplete: false },
        })),
      );

      const workerCpu0 = await worker.cpuUsage();
      const writerCpu0 = process.cpuUsage();
      const started = performance.now();
      let writeDone = Number.NaN;
      const writes = writeBatches(batches, async (b) => {
        await queue.addBulk(bodies[b] ?? []);
      }).then(() => {
        writeDone = performance.now();
      });
      const [finished] = await Promise.all([
        waitForCount(async () => (await queue.getJobCounts('completed')).completed ?? 0, N, started),
        writes,
      ]);
      const writerCpu = process.cpuUsage(writerCpu0);
      const workerCpu1 = await worker.cpuUsage();

      const problems: string[] = [];
      const counts = await queue.getJobCounts('completed', 'failed');
      const completed = counts.completed ?? 0;
      if (finished === undefined) problems.push(`only ${completed} of ${N} jobs completed after ${TIMEOUT_MS / 1000}s`);
      if ((counts.failed ?? 0) > 0) problems.push(`${counts.failed} jobs failed`);
      const jobs = await queue.getJobs(['completed'], 0, -1);
      const end = finished ?? performance.now();
      return {
        done: completed,
        seconds: (end - started) / 1000,
        writeSeconds: (writeDone - started) / 1000,
        latencies: Float64Array.from(jobs, (job) => (job.finishedOn ?? Number.NaN) - job.timestamp),
        writerCpuUs: writerCpu.user + writerCpu.system,
        workerCpuUs: workerCpu1.user + workerCpu1.system - workerCpu0.user - workerCpu0.system,
        problems,
      };
    } finally {
      await worker.stop().catch((error: unknown) => ctx.log(`${label}: ${(error as Error).message.split('\n')[0]}`));
    }
  } finally {
    await queue.close();
    connection.disconnect();
    await redis.drop();
  }
}

function measurement(target: string, runs: Run[]): Measurement {
  const done = runs.reduce((n, r) => n + r.done, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const cpuUs = runs.reduce((n, r) => n + r.writerCpuUs + r.workerCpuUs, 0);
  return {
    group: 'standard',
    target,
    requests: done,
    durationS: seconds,
    rps: done / seconds,
    latencyMs: summarize(runs.map((r) => r.latencies)),
    serverCpuUsPerRequest: cpuUs / done,
    non2xx: 0,
    errors: runs.reduce((n, r) => n + (r.done < N ? N - r.done : 0), 0),
    rounds: runs.map((r) => {
      const s = summarize([r.latencies]);
      return {
        rps: r.done / r.seconds,
        p50: s.p50,
        p99: s.p99,
        serverCpuUsPerRequest: (r.writerCpuUs + r.workerCpuUs) / r.done,
      };
    }),
    problems: runs.flatMap((r, i) => r.problems.map((p) => `round ${i + 1}: ${p}`)),
  };
}

export const scenario: Scenario = {
  name: 'pipeline',
  description: `standard mode, ${N} messages: addBatch → outbox → BullMQ → worker process (hash) → vector, vs raw BullMQ addBulk + no-op Worker`,
  async run(ctx) {
    const { settings } = ctx;
    if (!settings.modes.includes('standard')) {
      return {
        measurements: [],
        comparisons: [],
        notes: ['skipped: the pipeline scenario runs in standard mode only'],
      };
    }
    const runs = { baseline: [] as Run[], subject: [] as Run[] };
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
      for (const which of order) {
        const label = `standard/${which === 'baseline' ? 'raw-bullmq' : 'session-buddy'} round ${round + 1}/${settings.rounds}`;
        ctx.log(`${label}: ${N} ${which === 'baseline' ? 'no-op jobs' : 'messages'} in batches of ${BATCH_SIZE}`);
        const run = which === 'baseline' ? await runRawBullMq(ctx, label) : await runPipeline(ctx, label);
        runs[which].push(run);
        const problem = run.problems.length > 0 ? ` — ${run.problems[0]}` : '';
        ctx.log(
          `${label}: ${Math.round(run.done / run.seconds)}/s end to end in ${run.seconds.toFixed(2)}s ` +
            `(writes acknowledged after ${run.writeSeconds.toFixed(2)}s)${problem}`,
        );
      }
    }
    const base = measurement('raw-bullmq', runs.baseline);
    const sub = measurement('session-buddy', runs.subject);
    const comparison = compareMeasurements('standard', base, sub, TARGET_RATIO);
    const phases = (which: string, list: Run[]) =>
      `${which} per round: ` +
      list
        .map(
          (r, i) =>
            `r${i + 1} writes ${r.writeSeconds.toFixed(2)}s (${Math.round(r.done / r.writeSeconds)}/s), ` +
            `end to end ${r.seconds.toFixed(2)}s; CPU µs/msg writer ${Math.round(r.writerCpuUs / r.done)} + worker ${Math.round(r.workerCpuUs / r.done)}`,
        )
        .join('; ');
    const extra = settings.sessionBuddyConfig;
    return {
      measurements: [base, sub],
      comparisons: [comparison],
      notes: [
        ...(Object.keys(extra).length > 0
          ? [`NOT AS SHIPPED: Session-Buddy config overridden by BENCH_SB_CONFIG=${JSON.stringify(extra)}`]
          : []),
        `${N} messages/jobs per round in batches of ${BATCH_SIZE}, ${WRITERS} writers in flight, worker concurrency ${CONCURRENCY} in its own process; ` +
          'the "requests" column counts messages embedded / jobs completed, req/s is end to end (first write → last vector / last completion)',
        'latency: per message, created_at of the message → created_at of its vector; per job, timestamp → finishedOn',
        'CPU per message: this process (writer, and for session-buddy also its outbox relay) + the worker process; not PostgreSQL or Redis',
        phases('session-buddy', runs.subject),
        phases('raw-bullmq', runs.baseline),
      ],
    };
  },
};
