import type { DetectPatternsPayload } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { PatternDetector } from '../../src/services/pattern-detection/pattern-detector.js';
import type { JobResult } from '../job-runner.js';

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
