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

export function isNonRetryable(error: unknown): boolean {
  return error instanceof NonRetryableError || (error as Error | undefined)?.name === 'NonRetryableError';
}
