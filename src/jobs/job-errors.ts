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
