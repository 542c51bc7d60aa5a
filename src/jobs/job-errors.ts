/**
 * A failure no retry can fix (bad payload, missing row): the job goes to dead letters at once.
 * Anything else thrown by a handler is retried with backoff.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

function isNonRetryable(error: unknown): boolean {
  return error instanceof NonRetryableError || (error as Error | undefined)?.name === 'NonRetryableError';
}

/**
 * The one rule for "is this failure final?", used by both queue backends (retry or dead-letter) and by the job
 * runner (metrics and logs): a non-retryable error, or the last attempt.
 */
export function isFinalFailure(error: unknown, job: { attempt: number; maxAttempts: number }): boolean {
  return isNonRetryable(error) || job.attempt >= job.maxAttempts;
}

/**
 * How long to hold a job back when its failure is "not now" rather than "failed": a dependency's open circuit breaker
 * (BreakerOpenError carries `deferJob` and `retryAfterMs`). The queue then delays the job by that long without
 * spending an attempt, so a dead letter always means the work itself failed. Undefined for real failures.
 */
export function deferralOf(error: unknown): number | undefined {
  const marked = error as { deferJob?: unknown; retryAfterMs?: unknown } | undefined;
  if (marked?.deferJob !== true || typeof marked.retryAfterMs !== 'number') return undefined;
  return Math.max(0, marked.retryAfterMs);
}

/**
 * A failure of some items of a job that carries many (see JobDef.split): only these items' dead letters are recorded,
 * the others were done. `items` are the items' key parts (message ids for `embed-messages`).
 */
export class ItemsFailedError extends NonRetryableError {
  readonly items: readonly string[];

  constructor(message: string, items: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ItemsFailedError';
    this.items = items;
  }
}
