import { createHash } from 'node:crypto';
import type { QueuedJob } from '../../queue/queue.port.js';
import type { OutboxJob } from '../../repositories/ports.js';
import type { PatternDetector } from '../../services/pattern-detection/pattern-detector.js';
import { type JobPayload, jobFor } from '../job-registry.js';
import type { JobResult } from '../job-runner.js';

export type DetectPatternsPayload = JobPayload<'detect-patterns'>;

/**
 * The outbox entry for one detection run. The key is deterministic per tenant, project and time bucket
 * (`windowMs` long): every trigger in the same bucket is the same job, so a burst of triggers runs once.
 * Tenant and project are hashed into the key, which must not contain ':' (BullMQ job ids).
 */
export function detectPatternsJob(tenantId: string, project: string | null, now: Date, windowMs: number): OutboxJob {
  const scope = createHash('sha256')
    .update(`${tenantId}\u0000${project ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const bucket = Math.floor(now.getTime() / windowMs) * windowMs;
  const payload: DetectPatternsPayload = project === null ? {} : { project };
  return jobFor('detect-patterns', tenantId, payload, `${scope}-${bucket / 1000}`);
}

/**
 * Runs pattern detection for the job's tenant. Idempotent: detected patterns are keyed by fingerprint and
 * re-detection merges evidence, so a run repeated (retry, duplicate trigger) changes nothing more.
 */
export function detectPatternsHandler(
  detector: Pick<PatternDetector, 'detect'>,
): (payload: DetectPatternsPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ project }, job) => {
    const report = await detector.detect(job.tenantId, project ?? null);
    return report.scanned.vectors + report.scanned.errorMessages === 0 ? 'skipped' : 'done';
  };
}
