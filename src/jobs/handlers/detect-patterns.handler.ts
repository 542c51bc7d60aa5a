import { createHash } from 'node:crypto';
import type { QueuedJob } from '../../queue/queue.port.js';
import type { OutboxJob } from '../../repositories/ports.js';
import type { PatternDetector } from '../../services/pattern-detection/pattern-detector.js';
import { type JobPayload, jobFor } from '../job-registry.js';
import type { JobResult } from '../job-runner.js';

export type DetectPatternsPayload = JobPayload<'detect-patterns'>;

/**
 * The time bucket `now` falls in: `w<window seconds>-<start, epoch seconds>`. A trigger window and a scheduler
 * period are buckets of their own length, so a manual trigger never stands in for the periodic run, nor the reverse.
 */
export function detectionBucket(now: Date, windowMs: number): string {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  return `w${Math.round(windowMs / 1000)}-${start / 1000}`;
}

/**
 * The outbox entry for one detection run. The key is deterministic per tenant, project and time bucket
 * (`windowMs` long): every trigger in the same bucket is the same job while it waits or runs, and the bucket in
 * the payload makes a copy queued after it finished a no-op (see PatternDetector.detectOnce).
 * Tenant and project are hashed into the key, which must not contain ':' (BullMQ job ids).
 */
export function detectPatternsJob(tenantId: string, project: string | null, now: Date, windowMs: number): OutboxJob {
  const scope = createHash('sha256')
    .update(`${tenantId}\u0000${project ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const bucket = detectionBucket(now, windowMs);
  const payload: DetectPatternsPayload = project === null ? { bucket } : { project, bucket };
  return jobFor('detect-patterns', tenantId, payload, `${scope}-${bucket}`);
}

/**
 * Runs pattern detection for the job's tenant, once per bucket: a bucket whose run already finished is 'skipped'
 * (a trigger after the job completed, every worker process's scheduler tick in one period). Without a bucket it
 * always runs. Either way idempotent: detected patterns are keyed by fingerprint and re-detection merges evidence.
 */
export function detectPatternsHandler(
  detector: Pick<PatternDetector, 'detect' | 'detectOnce'>,
): (payload: DetectPatternsPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ project, bucket }, job) => {
    const report =
      bucket === undefined
        ? await detector.detect(job.tenantId, project ?? null)
        : await detector.detectOnce(job.tenantId, project ?? null, bucket);
    if (!report) return 'skipped';
    return report.scanned.vectors + report.scanned.errorMessages === 0 ? 'skipped' : 'done';
  };
}
