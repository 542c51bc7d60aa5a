/**
 * Latencies of sequential calls made by the bench process itself (no load generator): one call at a
 * time, so calls/s is 1000 / mean latency.
 */
import type { Measurement } from './scenario.js';
import { percentile } from './stats.js';

export interface Latencies {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** Nearest-rank percentiles of `ms`. */
export function latencies(ms: number[]): Latencies {
  const sorted = Float64Array.from(ms).sort();
  const total = ms.reduce((a, b) => a + b, 0);
  return {
    mean: ms.length ? total / ms.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: ms.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    count: ms.length,
  };
}

/** A row of the standard report for sequential in-process calls (there is no server CPU figure). */
export function sequentialMeasurement(
  group: string,
  target: string,
  l: Latencies,
  problems: string[] = [],
): Measurement {
  const rps = 1000 / l.mean;
  return {
    group,
    target,
    requests: l.count,
    durationS: (l.count * l.mean) / 1000,
    rps,
    latencyMs: { mean: l.mean, p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    serverCpuUsPerRequest: Number.NaN,
    non2xx: 0,
    errors: 0,
    rounds: [{ rps, p50: l.p50, p99: l.p99, serverCpuUsPerRequest: Number.NaN }],
    problems,
  };
}

/** Milliseconds since `t0` (a performance.now() reading). */
export function since(t0: number): number {
  return performance.now() - t0;
}
