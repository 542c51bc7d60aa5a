/**
 * analytics: the DuckDB analytics half, in three parts (BENCH_ANALYTICS_PARTS picks them, comma-separated;
 * default all, in this order):
 *   sync      — AnalyticsSync throughput from SQLite (lite) and PostgreSQL (standard) into a fresh DuckDB file,
 *               against DuckDB's own bulk load of the same rows (COPY FROM CSV, appender) (target ratio ≥ 0.5);
 *               see lib/analytics/sync-throughput.ts.
 *   queries   — p50/p95 of get_activity_summary, get_session_analytics and three typical query_analytics queries
 *               through AnalyticsService over 1,000,000 messages of facts (target p95 ≤ 200 ms);
 *               see lib/analytics/query-latency.ts.
 *   freshness — standard mode, API and worker processes, PostgreSQL and Redis: the worker's
 *               session_buddy_analytics_freshness_lag_seconds (and how old the newest message visible in DuckDB
 *               is) sampled under 500 messages/s written over REST (target p95 ≤ 5 s); see lib/analytics/freshness.ts.
 *
 * Environment: BENCH_ANALYTICS_PARTS (sync,queries,freshness), BENCH_ANALYTICS_SYNC_MESSAGES (200000),
 * BENCH_ANALYTICS_QUERY_MESSAGES (1000000), BENCH_ANALYTICS_QUERY_CALLS (50 per operation),
 * BENCH_ANALYTICS_RATE (500 messages/s), BENCH_ANALYTICS_LOAD_S (30 s of load); BENCH_ROUNDS (sync rounds),
 * BENCH_MODES (lite: SQLite source; standard: PostgreSQL source, and the freshness part), BENCH_SB_CONFIG
 * (freshness part only).
 */
import { runFreshness } from '../lib/analytics/freshness.js';
import type { PartResult } from '../lib/analytics/part.js';
import { runQueryLatency } from '../lib/analytics/query-latency.js';
import { runSyncThroughput } from '../lib/analytics/sync-throughput.js';
import type { Scenario, ScenarioContext } from '../lib/scenario.js';

const PARTS = ['sync', 'queries', 'freshness'] as const;
type Part = (typeof PARTS)[number];

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

function partsFromEnv(): Part[] {
  const raw = process.env.BENCH_ANALYTICS_PARTS;
  if (raw === undefined || raw.trim() === '') return [...PARTS];
  const parts = raw.split(',').map((p) => p.trim());
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part))
      throw new Error(`BENCH_ANALYTICS_PARTS: unknown part '${part}'; parts: ${PARTS.join(', ')}`);
  }
  return PARTS.filter((p) => parts.includes(p));
}

function runPart(ctx: ScenarioContext, part: Part): Promise<PartResult> {
  switch (part) {
    case 'sync':
      return runSyncThroughput(ctx, { messages: intFromEnv('BENCH_ANALYTICS_SYNC_MESSAGES', 200_000, 100) });
    case 'queries':
      return runQueryLatency(ctx, {
        messages: intFromEnv('BENCH_ANALYTICS_QUERY_MESSAGES', 1_000_000, 1_000),
        calls: intFromEnv('BENCH_ANALYTICS_QUERY_CALLS', 50, 5),
      });
    case 'freshness':
      if (!ctx.settings.modes.includes('standard')) {
        return Promise.resolve({
          measurements: [],
          comparisons: [],
          notes: ['freshness: skipped (standard mode only; BENCH_MODES has no standard)'],
          details: {},
        });
      }
      return runFreshness(ctx, {
        rate: intFromEnv('BENCH_ANALYTICS_RATE', 500, 1),
        loadS: intFromEnv('BENCH_ANALYTICS_LOAD_S', 30, 5),
      });
  }
}

export const scenario: Scenario = {
  name: 'analytics',
  description:
    'DuckDB analytics: sync rows/s vs DuckDB bulk load, query p95 at 1M messages, freshness lag under 500 writes/s',
  async run(ctx) {
    const result: PartResult = { measurements: [], comparisons: [], notes: [], details: {} };
    for (const part of partsFromEnv()) {
      ctx.log(`part ${part}`);
      const done = await runPart(ctx, part);
      result.measurements.push(...done.measurements);
      result.comparisons.push(...done.comparisons);
      result.notes.push(...done.notes);
      result.details[part] = done.details;
    }
    return result;
  },
};
