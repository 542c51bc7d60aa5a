import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.loader.js';
import { createLogger } from '../../src/core/logger.js';
import { analyticsSyncJob, detectionBucket, JOBS } from '../../src/jobs/job-registry.js';
import { bucketEnd } from '../../workers/handlers/analytics-sync.handler.js';
import { PeriodicJobScheduler } from '../../workers/periodic-job-scheduler.js';

/** Regression: analytics.syncIntervalMs under a second made a fractional catch-up bucket, refused as a payload. */
describe('analytics catch-up interval', () => {
  it('config refuses 1..999 ms with a message naming the key, and accepts 0 and 1000', () => {
    for (const value of ['1', '500', '999']) {
      expect(() => loadConfig({ env: { SESSION_BUDDY_ANALYTICS__SYNC_INTERVAL_MS: value } })).toThrowError(
        /analytics\.syncIntervalMs \(from env SESSION_BUDDY_ANALYTICS__SYNC_INTERVAL_MS\): .*at least 1000/,
      );
    }
    for (const value of [0, 1000, 1500]) {
      const env = { SESSION_BUDDY_ANALYTICS__SYNC_INTERVAL_MS: String(value) };
      expect(loadConfig({ env }).config.analytics.syncIntervalMs).toBe(value);
    }
  });

  it('buckets are whole seconds for any window, so the job payload is valid', () => {
    const now = new Date('2026-03-01T12:00:00.750Z');
    for (const windowMs of [1, 250, 500, 999, 1000, 1500, 2500, 15_000]) {
      const job = analyticsSyncJob('t', now, windowMs);
      expect(JOBS['analytics-sync'].payload.parse(job.payload)).toEqual(job.payload);
      expect(job.payload.bucket).toMatch(/^w\d+-\d+$/);
      // The bucket holds `now` and ends after it.
      expect(bucketEnd(job.payload.bucket as string)).toBeGreaterThan(now.getTime());
    }
    // Whole-second windows keep their bucket names (stored detection runs stay the same).
    expect(detectionBucket(now, 1000)).toBe(`w1-${Math.floor(now.getTime() / 1000)}`);
    expect(detectionBucket(now, 30 * 60_000)).toBe('w1800-1772366400');
  });

  it('the scheduler queues a valid job for an interval that is not a whole number of seconds', async () => {
    const added: Array<{ payload: unknown }> = [];
    const scheduler = new PeriodicJobScheduler(
      { add: async (jobs) => void added.push(...(jobs as Array<{ payload: unknown }>)) },
      { intervalMs: 1500, job: (now) => analyticsSyncJob('t', now, 1500), what: 'analytics sync' },
      createLogger('silent'),
      () => {},
    );
    await scheduler.runOnce(new Date('2026-03-01T12:00:01.600Z'));
    expect(added).toHaveLength(1);
    expect(() => JOBS['analytics-sync'].payload.parse(added[0]?.payload)).not.toThrow();
  });
});
