/**
 * Analytics sync throughput: a primary store (SQLite file, PostgreSQL) filled with a generated history, then
 * AnalyticsSync.run() into a fresh DuckDB file, until the file is closed — rows (sessions + messages) per second.
 * Baselines, in the same run on the same rows: DuckDB's own bulk load into a fresh file with the same schema —
 * `COPY facts.* FROM` CSV files of the fact rows (DuckDB's parallel CSV reader), and the appender fed straight
 * from rows already in memory — each in one transaction, until the file is closed. Rounds alternate the order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBAppender } from '@duckdb/node-api';
import { AnalyticsStore, DUCKDB_OPTIONS } from '../../../src/analytics/analytics.store.js';
import { isErrorMessage } from '../../../src/analytics/analytics-rollup.js';
import { ANALYTICS_DDL } from '../../../src/analytics/analytics-schema.js';
import { AnalyticsSync } from '../../../src/analytics/analytics-sync.js';
import type { AnalyticsSourceRepository } from '../../../src/repositories/ports.js';
import { PostgresStore } from '../../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../../src/repositories/sqlite/sqlite.store.js';
import { registerCleanup } from '../cleanup.js';
import { since } from '../latency.js';
import { createMigratedDatabase } from '../postgres.js';
import { type Comparison, compareMeasurements, type Measurement, type ScenarioContext } from '../scenario.js';
import { committedConfig } from '../settings.js';
import { fixed, integer } from '../table.js';
import { type Activity, generateActivity } from './activity.js';
import { fillPostgres, fillSqlite, sessionFact, writeFactCsv } from './fill.js';
import type { PartResult } from './part.js';

/** The target: sync rows/s at least half of DuckDB's own bulk load of the same rows. */
const TARGET_RATIO = 0.5;

export interface SyncThroughputOptions {
  /** Messages in the primary store. BENCH_ANALYTICS_SYNC_MESSAGES (Default: 200000) */
  messages: number;
}

type Target = 'duckdb-copy' | 'duckdb-appender' | 'analytics-sync';

interface Run {
  rows: number;
  seconds: number;
  cpuUs: number;
}

/** Times `fn` (wall and this process's CPU, DuckDB's threads included). */
async function timed(fn: () => Promise<number>): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = await fn();
  const cpu = process.cpuUsage(cpu0);
  return { rows, seconds: since(t0) / 1000, cpuUs: cpu.user + cpu.system };
}

async function freshDuckDb(file: string) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(file, { ...DUCKDB_OPTIONS });
  const connection = await instance.connect();
  await connection.run(ANALYTICS_DDL);
  return { instance, connection };
}

/** COPY FROM the CSV files in one transaction, then close (checkpoint). */
async function loadByCopy(file: string, csv: { sessions: string; messages: string }, rows: number): Promise<number> {
  const { instance, connection } = await freshDuckDb(file);
  await connection.run('BEGIN TRANSACTION');
  await connection.run(`COPY facts.sessions FROM '${csv.sessions}' (FORMAT csv, HEADER)`);
  await connection.run(`COPY facts.messages FROM '${csv.messages}' (FORMAT csv, HEADER)`);
  await connection.run('COMMIT');
  connection.closeSync();
  instance.closeSync();
  return rows;
}

/**
 * The appender straight into the fact tables from rows in memory (the derived `is_error` flags computed
 * beforehand, as in the CSV files), in one transaction, then close.
 */
async function loadByAppender(file: string, activity: Activity, isError: readonly boolean[]): Promise<number> {
  const { dateValue, timestampTZValue } = await import('@duckdb/node-api');
  const { instance, connection } = await freshDuckDb(file);
  const ts = (iso: string) => timestampTZValue(BigInt(Date.parse(iso)) * 1000n);
  const append = async <T>(table: string, rows: T[], row: (a: DuckDBAppender, r: T) => void) => {
    const appender = await connection.createAppender(table, 'facts');
    for (const r of rows) {
      row(appender, r);
      appender.endRow();
    }
    appender.closeSync();
  };
  await connection.run('BEGIN TRANSACTION');
  await append('sessions', activity.sessions, (a, s) => {
    const [id, tenant, project, name, status, metadata, count] = sessionFact(s) as string[];
    for (const v of [id, tenant, project, name, status, metadata]) a.appendVarchar(v as string);
    a.appendInteger(Number(count));
    a.appendTimestampTZ(ts(s.createdAt));
    a.appendTimestampTZ(ts(s.updatedAt));
  });
  let i = 0;
  await append('messages', activity.messages, (a, m) => {
    for (const v of [m.id, m.tenantId, m.sessionId, m.project, m.role]) a.appendVarchar(v);
    a.appendInteger(m.seq);
    a.appendVarchar(m.content);
    a.appendInteger(m.content.length);
    a.appendTimestampTZ(ts(m.createdAt));
    a.appendDate(dateValue(Math.floor(Date.parse(m.createdAt) / 86_400_000)));
    a.appendBoolean(isError[i++] as boolean);
  });
  await connection.run('COMMIT');
  connection.closeSync();
  instance.closeSync();
  return activity.sessions.length + activity.messages.length;
}

/** AnalyticsSync.run() as the application configures it, into a fresh file, then close. */
async function loadBySync(file: string, source: AnalyticsSourceRepository): Promise<number> {
  const { analytics } = committedConfig({});
  const store = new AnalyticsStore(file);
  try {
    const sync = new AnalyticsSync(store, source, {
      batchSize: analytics.syncBatchSize,
      overlapMs: analytics.syncOverlapMs,
      reconcileBatchSize: analytics.reconcileBatchSize,
    });
    const report = await sync.run();
    return Object.values(report.upserted).reduce((a, b) => a + b, 0);
  } finally {
    await store.close();
  }
}

interface Source {
  kind: 'sqlite' | 'postgres';
  source: AnalyticsSourceRepository;
  fillS: number;
  close(): Promise<void>;
}

async function openSqlite(dir: string, activity: Activity): Promise<Source> {
  // Lite mode with a file: the file the analytics sync reads (the DuckDB file would sit beside it).
  const store = new SqliteStore({ path: join(dir, 'primary.db') });
  const t0 = performance.now();
  fillSqlite(store.db, activity);
  return { kind: 'sqlite', source: store.analyticsSource, fillS: since(t0) / 1000, close: () => store.close() };
}

async function openPostgres(ctx: ScenarioContext, activity: Activity): Promise<Source> {
  const database = await createMigratedDatabase(ctx.settings.pgAdminUrl, 'the analytics scenario');
  const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
  const store = new PostgresStore({ url: database.url, poolMax, applicationName: 'sb-bench-analytics' });
  const close = async () => {
    await store.close().catch(() => {});
    await database.drop();
  };
  try {
    const t0 = performance.now();
    await fillPostgres(store.sql, activity);
    return { kind: 'postgres', source: store.analyticsSource, fillS: since(t0) / 1000, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function measurement(group: string, target: Target, runs: Run[], problems: string[]): Measurement {
  const rows = runs.reduce((n, r) => n + r.rows, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const nan = Number.NaN;
  return {
    group,
    target,
    requests: rows,
    durationS: seconds,
    rps: rows / seconds,
    latencyMs: { mean: nan, p50: nan, p90: nan, p99: nan, max: nan },
    serverCpuUsPerRequest: runs.reduce((n, r) => n + r.cpuUs, 0) / rows,
    non2xx: 0,
    errors: 0,
    rounds: runs.map((r) => ({ rps: r.rows / r.seconds, p50: nan, p99: nan, serverCpuUsPerRequest: r.cpuUs / r.rows })),
    problems,
  };
}

export async function runSyncThroughput(ctx: ScenarioContext, options: SyncThroughputOptions): Promise<PartResult> {
  const kinds = [
    ...(ctx.settings.modes.includes('lite') ? (['sqlite'] as const) : []),
    ...(ctx.settings.modes.includes('standard') ? (['postgres'] as const) : []),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-analytics-sync-'));
  const unregister = registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  try {
    let t0 = performance.now();
    const activity = generateActivity({ messages: options.messages, perSession: 100, days: 90, endMs: Date.now() });
    const rows = activity.sessions.length + activity.messages.length;
    const csv = { sessions: join(dir, 'sessions.csv'), messages: join(dir, 'messages.csv') };
    writeFactCsv(activity, csv);
    const isError = activity.messages.map((m) => isErrorMessage(m.role, m.content));
    const notes = [
      `sync: ${integer(activity.messages.length)} messages in ${integer(activity.sessions.length)} sessions ` +
        `(${integer(rows)} rows; generated and written as CSV in ${fixed(since(t0) / 1000, 1)} s), 3 tenants, 12 projects, 90 days`,
    ];
    const measurements: Measurement[] = [];
    const comparisons: Comparison[] = [];
    for (const kind of kinds) {
      ctx.log(`sync: filling ${kind} with ${integer(rows)} rows`);
      const source = kind === 'sqlite' ? await openSqlite(dir, activity) : await openPostgres(ctx, activity);
      try {
        notes.push(`sync: ${kind} filled in ${fixed(source.fillS, 1)} s (not measured)`);
        const runs: Record<Target, Run[]> = { 'duckdb-copy': [], 'duckdb-appender': [], 'analytics-sync': [] };
        const problems: Record<Target, string[]> = { 'duckdb-copy': [], 'duckdb-appender': [], 'analytics-sync': [] };
        const order: Target[] = ['duckdb-copy', 'duckdb-appender', 'analytics-sync'];
        for (let round = 0; round < ctx.settings.rounds; round++) {
          for (const target of round % 2 === 0 ? order : [...order].reverse()) {
            t0 = performance.now();
            const file = join(dir, `${kind}-${target}-${round}.duckdb`);
            const run = await timed(() =>
              target === 'duckdb-copy'
                ? loadByCopy(file, csv, rows)
                : target === 'duckdb-appender'
                  ? loadByAppender(file, activity, isError)
                  : loadBySync(file, source.source),
            );
            rmSync(file, { force: true });
            rmSync(`${file}.wal`, { force: true });
            if (run.rows !== rows)
              problems[target].push(`round ${round + 1}: ${run.rows} rows loaded, expected ${rows}`);
            runs[target].push(run);
            ctx.log(
              `sync ${kind} round ${round + 1}: ${target} ${integer(run.rows / run.seconds)} rows/s (${fixed(run.seconds, 2)} s)`,
            );
          }
        }
        const group = `sync ${kind}`;
        const [copy, appender, sync] = order.map((t) => measurement(group, t, runs[t], problems[t])) as [
          Measurement,
          Measurement,
          Measurement,
        ];
        measurements.push(copy, appender, sync);
        comparisons.push(compareMeasurements(group, copy, sync, TARGET_RATIO));
        comparisons.push(compareMeasurements(group, appender, sync, TARGET_RATIO));
      } finally {
        await source.close();
      }
    }
    notes.push(
      'sync: req/s = rows/s (sessions + messages), from opening a fresh DuckDB file to closing it; cpu µs/req = CPU of ' +
        'this process per row (DuckDB threads included, the PostgreSQL server not)',
    );
    return { measurements, comparisons, notes, details: {} };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unregister();
  }
}
