import type { Logger } from '../core/logger.js';
import { deferralOf, isFinalFailure } from '../jobs/job-errors.js';
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
 *   attempt again after `backoffDelay(policy, attempt)` rather than lose the job;
 * - `deferred`: not a failure (a dependency's circuit breaker is open, see `deferralOf`): run the same attempt
 *   again after `delayMs`, without counting it — however many attempts the job had left.
 */
export type AttemptOutcome =
  | { kind: 'completed' }
  | { kind: 'retry' | 'failed' | 'redo'; error: Error }
  | { kind: 'deferred'; error: Error; delayMs: number };

/** Spread deferred jobs over this share of their delay (at most DEFER_SPREAD_MAX_MS), so they do not return at once. */
const DEFER_SPREAD = 0.1;
const DEFER_SPREAD_MAX_MS = 3_000;
/** Shortest deferral, so a breaker about to half-open is not asked in a tight loop. */
const DEFER_MIN_MS = 250;

/** The delay of a deferred job: `retryAfterMs` plus a random spread. */
export function deferDelay(retryAfterMs: number, random: () => number = Math.random): number {
  const spread = Math.min(DEFER_SPREAD_MAX_MS, Math.max(DEFER_MIN_MS, retryAfterMs * DEFER_SPREAD));
  return Math.round(Math.max(DEFER_MIN_MS, retryAfterMs) + spread * random());
}

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
  // Given back at shutdown: what failed is the closing process, not the work; the same attempt runs again elsewhere.
  if (job.givenBack?.aborted) return { kind: 'deferred', error, delayMs: 0 };
  const retryAfterMs = deferralOf(error);
  if (retryAfterMs !== undefined) return { kind: 'deferred', error, delayMs: deferDelay(retryAfterMs) };
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
