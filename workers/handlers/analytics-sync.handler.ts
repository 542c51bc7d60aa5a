import type { AnalyticsSync } from '../../src/analytics/analytics-sync.js';
import type { AnalyticsSyncPayload } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { JobResult } from '../job-runner.js';

/** When the bucket `w<seconds>-<start>` ends, in ms since the epoch. */
export function bucketEnd(bucket: string): number {
  const [, seconds, start] = /^w(\d+)-(\d+)$/.exec(bucket) ?? [];
  return (Number(start) + Number(seconds)) * 1000;
}

/**
 * Runs one analytics sync (every tenant, every fact table). A job standing for a time bucket first waits for the
 * bucket to end (at most its length), so the writes that queued it are committed and read by this one run.
 * 'skipped' when nothing changed or when another process holds the DuckDB file (it is the analytics writer).
 * A failure is thrown to the runner: retries with backoff, then a dead letter; the next run catches up anyway.
 */
export function analyticsSyncHandler(
  sync: Pick<AnalyticsSync, 'run'>,
  now: () => number = Date.now,
): (payload: AnalyticsSyncPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ bucket }) => {
    if (bucket !== undefined) {
      const wait = Math.min(bucketEnd(bucket) - now(), 60_000);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const report = await sync.run();
    if (!report.ran) return 'skipped';
    const changed =
      Object.values(report.upserted).some((n) => n > 0) || Object.values(report.deleted).some((n) => n > 0);
    return changed ? 'done' : 'skipped';
  };
}
