/**
 * Analytics freshness under sustained writes, standard mode: an API process and a worker process (the one
 * analytics writer: queue `analytics` only), PostgreSQL and Redis. This process writes `rate` messages/s over REST
 * (one message per request, round robin over 50 sessions) for `loadS` seconds, and every 250 ms scrapes the
 * worker's /metrics for `session_buddy_analytics_freshness_lag_seconds{fact="messages"}`: seconds since the start
 * of the last sync that read the messages to the end, so everything written before that start is in DuckDB — an
 * upper bound of how stale analytics are. Samples of the first `warmupS` seconds are left out (the first syncs).
 * Afterwards it waits for a sync that started after the last write, stops the worker and counts the messages in
 * the DuckDB file: every written message must be there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalyticsStore } from '../../../src/analytics/analytics.store.js';
import { registerCleanup } from '../cleanup.js';
import { requestJson } from '../http.js';
import { type Latencies, latencies } from '../latency.js';
import { siblingModule } from '../paths.js';
import { createMigratedDatabase } from '../postgres.js';
import { throwawayRedisPrefix } from '../redis.js';
import type { Measurement, ScenarioContext } from '../scenario.js';
import { startServerProcess } from '../server-process.js';
import type { AnalyticsWorkerSpec } from '../servers/analytics-worker.server.js';
import type { SessionBuddyServerSpec } from '../servers/session-buddy.server.js';
import { committedConfig, mergeConfig } from '../settings.js';
import { fixed, integer } from '../table.js';
import type { PartResult } from './part.js';

const TARGET_P95_S = 5;
const SESSIONS = 50;
const SAMPLE_MS = 250;
/** Requests in flight at most; past it the writer falls behind its rate (reported). */
const MAX_IN_FLIGHT = 256;
const DRAIN_TIMEOUT_MS = 60_000;
const LAG = /^session_buddy_analytics_freshness_lag_seconds\{[^}]*fact="messages"[^}]*\} (\S+)$/m;

const API_SERVER = siblingModule(import.meta.url, '../servers/session-buddy.server.js');
const WORKER_SERVER = siblingModule(import.meta.url, '../servers/analytics-worker.server.js');

export interface FreshnessOptions {
  /** Messages per second. BENCH_ANALYTICS_RATE (Default: 500) */
  rate: number;
  /** Seconds of load. BENCH_ANALYTICS_LOAD_S (Default: 30) */
  loadS: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scrapeLag(workerUrl: string): Promise<number | undefined> {
  const text = await (await fetch(`${workerUrl}/metrics`)).text();
  const match = LAG.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Writes at `rate`/s for `seconds`; returns the messages acknowledged and the requests that failed. */
async function writeLoad(apiUrl: string, sessionIds: string[], rate: number, seconds: number) {
  const body = JSON.stringify({
    role: 'user',
    content: 'Refactor the session repository so that appends take a row lock, then add a contract test.',
    metadata: { source: 'bench' },
  });
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const endAt = started + seconds * 1000;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      const id = sessionIds[sent % sessionIds.length] as string;
      sent++;
      inFlight++;
      const request = fetch(`${apiUrl}/v1/sessions/${id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
        .then(async (response) => {
          await response.arrayBuffer();
          if (response.ok) ok++;
          else failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => {
          inFlight--;
          pending.delete(request);
        });
      pending.add(request);
    }
    await sleep(5);
  }
  await Promise.all(pending);
  return { ok, failed, seconds: (performance.now() - started) / 1000, writesEnded: Date.now() };
}

function lagMeasurement(l: Latencies, problems: string[]): Measurement {
  const nan = Number.NaN;
  return {
    group: 'freshness standard',
    target: 'lag seconds (×1000 = ms)',
    requests: l.count,
    durationS: nan,
    rps: nan,
    latencyMs: { mean: l.mean * 1000, p50: l.p50 * 1000, p90: l.p90 * 1000, p99: l.p99 * 1000, max: l.max * 1000 },
    serverCpuUsPerRequest: nan,
    non2xx: 0,
    errors: 0,
    rounds: [],
    problems,
  };
}

export async function runFreshness(ctx: ScenarioContext, options: FreshnessOptions): Promise<PartResult> {
  const { settings } = ctx;
  const warmupS = Math.max(5, settings.warmupS);
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-analytics-freshness-'));
  const unregisterDir = registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const analyticsFile = join(dir, 'analytics.duckdb');
  const database = await createMigratedDatabase(settings.pgAdminUrl, 'the analytics freshness part');
  const redis = throwawayRedisPrefix(settings.redisUrl, `sb-bench-${randomBytes(6).toString('hex')}`);
  try {
    const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
    const overrides = mergeConfig(
      {
        mode: 'standard',
        database: { driver: 'postgres', url: database.url, poolMax, migrateOnStart: false },
        redis: { url: settings.redisUrl, prefix: redis.prefix },
        embedding: { provider: 'hash' },
        analytics: { path: analyticsFile },
        workers: { inProcess: false, queues: ['analytics'] },
        logging: { level: 'warn' },
      },
      settings.sessionBuddyConfig,
    );
    const worker = await startServerProcess(WORKER_SERVER, { overrides } satisfies AnalyticsWorkerSpec, {
      label: 'freshness worker',
    });
    const api = await startServerProcess(API_SERVER, { overrides } satisfies SessionBuddyServerSpec, {
      label: 'freshness api',
    });
    let load: Awaited<ReturnType<typeof writeLoad>>;
    const samples: number[] = [];
    let drainedS = Number.NaN;
    let cpuS = { api: Number.NaN, worker: Number.NaN, writer: Number.NaN };
    try {
      const sessionIds: string[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        sessionIds.push(
          (
            await requestJson<{ id: string }>(`${api.url}/v1/sessions`, {
              body: { name: `bench ${i}`, project: 'bench' },
            })
          ).id,
        );
      }
      ctx.log(
        `freshness: ${options.rate} messages/s over REST for ${options.loadS} s (first ${warmupS} s not sampled)`,
      );
      const startedAt = performance.now();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await sleep(SAMPLE_MS);
          const lag = await scrapeLag(worker.url).catch(() => undefined);
          if (lag !== undefined && performance.now() - startedAt >= warmupS * 1000) samples.push(lag);
        }
      })();
      const cpu0 = { api: await api.cpuUsage(), worker: await worker.cpuUsage(), writer: process.cpuUsage() };
      load = await writeLoad(api.url, sessionIds, options.rate, options.loadS);
      const used = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (a.user + a.system - b.user - b.system) / 1e6;
      cpuS = {
        api: used(await api.cpuUsage(), cpu0.api),
        worker: used(await worker.cpuUsage(), cpu0.worker),
        writer: used(process.cpuUsage(), { user: 0, system: 0 }) - used(cpu0.writer, { user: 0, system: 0 }),
      };
      sampling = false;
      await sampler;
      // Caught up: a sync that started after the last write has read to the end.
      const drainStart = Date.now();
      while (Date.now() - drainStart < DRAIN_TIMEOUT_MS) {
        const lag = await scrapeLag(worker.url).catch(() => undefined);
        if (lag !== undefined && Date.now() - lag * 1000 > load.writesEnded) break;
        await sleep(SAMPLE_MS);
      }
      drainedS = (Date.now() - load.writesEnded) / 1000;
    } finally {
      await api.stop().catch((error: unknown) => ctx.log(`freshness api: ${(error as Error).message.split('\n')[0]}`));
      await worker
        .stop()
        .catch((error: unknown) => ctx.log(`freshness worker: ${(error as Error).message.split('\n')[0]}`));
    }
    const store = await AnalyticsStore.open(analyticsFile);
    const connection = await store.connect();
    const synced = Number(
      (await connection.runAndReadAll('SELECT count(*)::DOUBLE FROM facts.messages')).getRows()[0]?.[0] ?? 0,
    );
    connection.closeSync();
    await store.close();

    const l = latencies(samples);
    const problems: string[] = [];
    const achieved = load.ok / load.seconds;
    if (load.failed > 0) problems.push(`${load.failed} writes failed`);
    if (synced !== load.ok) problems.push(`${synced} messages in DuckDB after the drain, ${load.ok} written`);
    if (samples.length === 0) problems.push('no freshness sample (the worker never finished a sync)');
    const pass = l.p95 <= TARGET_P95_S;
    const notes = [
      `freshness: ${integer(load.ok)} messages written over REST in ${fixed(load.seconds, 1)} s ` +
        `(${fixed(achieved, 0)}/s, target rate ${options.rate}/s, ${SESSIONS} sessions), API and worker processes ` +
        `(worker queues: analytics), PostgreSQL, Redis; ${integer(synced)} messages in DuckDB ${fixed(drainedS, 1)} s after the last write`,
      `freshness: session_buddy_analytics_freshness_lag_seconds{fact="messages"} from the worker's /metrics every ` +
        `${SAMPLE_MS} ms after ${warmupS} s: ${l.count} samples, p50 ${fixed(l.p50, 2)} s, p95 ${fixed(l.p95, 2)} s, ` +
        `max ${fixed(l.max, 2)} s (the table shows ms)`,
      `freshness: CPU seconds during the load: API ${fixed(cpuS.api, 1)}, worker ${fixed(cpuS.worker, 1)}, writer ` +
        `(this process) ${fixed(cpuS.writer, 1)}, of ${fixed(load.seconds * 2, 0)} on 2 cores` +
        (achieved < options.rate * 0.95 ? `; BELOW THE TARGET RATE: ${fixed(achieved, 0)}/s reached` : ''),
      `target freshness lag p95: ${fixed(l.p95, 2)} s (<= ${TARGET_P95_S} s: ${pass ? 'PASS' : 'FAIL'})`,
    ];
    ctx.log(notes.at(-1) as string);
    return {
      measurements: [lagMeasurement(l, problems)],
      comparisons: [],
      notes,
      details: { lagSeconds: l, written: load.ok, achievedRate: achieved, synced, drainedS },
    };
  } finally {
    await redis.drop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    unregisterDir();
  }
}
