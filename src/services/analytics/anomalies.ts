/**
 * Anomalies of a daily series against its own trailing baseline (a robust z-score, Iglewicz and Hoaglin's
 * modified z):
 *
 * - baseline of day d: the values of the BASELINE_DAYS days before d, leaving out days before the history started
 *   (a project that is 10 days old has a 10-day baseline); fewer than MIN_BASELINE_DAYS such days: d is not scored;
 * - z = (value − median) / scale, with scale = 1.4826 · MAD (median absolute deviation, scaled to a standard
 *   deviation for normal data); when MAD is 0, 1.2533 · the mean absolute deviation; when that is 0 too (a flat
 *   baseline), 1, so a flat baseline flags a day that differs by at least 4;
 * - |z| ≥ THRESHOLD is an anomaly: a spike above the median, or a drop below it (drops only where asked for, and
 *   never on the last day, which is still going on).
 */
export const BASELINE_DAYS = 28;
export const MIN_BASELINE_DAYS = 7;
export const THRESHOLD = 3.5;

export interface Scored {
  /** Index of the day in the series. */
  index: number;
  value: number;
  median: number;
  mad: number;
  baselineDays: number;
  z: number;
  direction: 'spike' | 'drop';
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The anomalous days among `series[firstIndex..]`. `historyStart` is the index of the first day with history
 * (earlier days are not baseline); `drops` says whether values far below the baseline count.
 */
export function findAnomalies(
  series: readonly number[],
  firstIndex: number,
  historyStart: number,
  drops: boolean,
): Scored[] {
  const found: Scored[] = [];
  for (let index = firstIndex; index < series.length; index++) {
    const baseline = series.slice(Math.max(index - BASELINE_DAYS, historyStart, 0), index);
    if (baseline.length < MIN_BASELINE_DAYS) continue;
    const value = series[index] as number;
    const med = median(baseline);
    const mad = median(baseline.map((v) => Math.abs(v - med)));
    const meanAd = baseline.reduce((a, v) => a + Math.abs(v - med), 0) / baseline.length;
    const scale = mad > 0 ? 1.4826 * mad : meanAd > 0 ? 1.2533 * meanAd : 1;
    const z = (value - med) / scale;
    const isLast = index === series.length - 1;
    if (z >= THRESHOLD || (drops && !isLast && z <= -THRESHOLD)) {
      found.push({
        index,
        value,
        median: med,
        mad,
        baselineDays: baseline.length,
        z: Math.round(z * 100) / 100,
        direction: z > 0 ? 'spike' : 'drop',
      });
    }
  }
  return found;
}
