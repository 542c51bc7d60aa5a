import type { Logger } from '../core/logger.js';
import { isFinalFailure } from '../jobs/job-errors.js';
import type { FinalFailureHandler, JobProcessor, PublishedJob, QueuedJob } from '../jobs/queue.port.js';

/**
 * Rules both backends share, so that they behave alike: which job ids are valid, and what a failed
 * attempt leads to.
 */

/** Throws unless every id is usable by both backends (BullMQ refuses ':' and integer-like custom ids). */
export function checkJobIds(jobs: readonly PublishedJob[]): void {
  for (const { id } of jobs) {
    if (id.length === 0 || id.includes(':') || `${Number.parseInt(id, 10)}` === id) {
      throw new Error(`invalid job id "${id}": it must be non-empty, contain no ':' and not be an integer`);
    }
  }
}

/**
 * What a backend does after an attempt:
 * - `completed`: done;
 * - `retry`: the attempt failed and counts; run attempt + 1 after `backoffDelay(policy, attempt)`;
 * - `failed`: failed for good and `onFinalFailure` has recorded it; mark the job failed;
 * - `redo`: failed for good but `onFinalFailure` threw, so nothing recorded it yet: run the same
 *   attempt again after `backoffDelay(policy, attempt)` rather than lose the job.
 */
export type AttemptOutcome = { kind: 'completed' } | { kind: 'retry' | 'failed' | 'redo'; error: Error };

/** Runs one attempt of a job and says what follows. */
export async function runAttempt(
  job: QueuedJob,
  processor: JobProcessor,
  onFinalFailure: FinalFailureHandler,
  logger: Logger,
): Promise<AttemptOutcome> {
  try {
    await processor(job);
    return { kind: 'completed' };
  } catch (thrown) {
    return settleFailure(job, toError(thrown), onFinalFailure, logger);
  }
}

/** Decides what a failed attempt leads to; a final failure is handed to `onFinalFailure` before anything else. */
export async function settleFailure(
  job: QueuedJob,
  error: Error,
  onFinalFailure: FinalFailureHandler,
  logger: Logger,
): Promise<AttemptOutcome> {
  if (!isFinalFailure(error, job)) return { kind: 'retry', error };
  try {
    await onFinalFailure(job, error);
    return { kind: 'failed', error };
  } catch (handlerError) {
    logger.error(
      { err: handlerError, queue: job.queue, jobId: job.id, attempt: job.attempt },
      'final-failure handler failed; the job will run again',
    );
    return { kind: 'redo', error };
  }
}

function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
