export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies (ms). Empty input gives NaN everywhere. */
export function summarize(values: ArrayLike<number>[]): LatencySummary {
  const total = values.reduce((n, v) => n + v.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const v of values) {
    all.set(v as ArrayLike<number>, offset);
    offset += v.length;
  }
  all.sort();
  let sum = 0;
  for (const v of all) sum += v;
  return {
    mean: total ? sum / total : Number.NaN,
    p50: percentile(all, 50),
    p90: percentile(all, 90),
    p99: percentile(all, 99),
    max: total ? (all[total - 1] as number) : Number.NaN,
  };
}

/** `sorted` ascending; nearest-rank method. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
