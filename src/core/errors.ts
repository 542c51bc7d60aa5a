import type { ZodError } from 'zod';

/** Stable, documented error codes. Clients switch on these, never on messages. */
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'config_invalid'
  | 'unavailable'
  | 'internal';

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `body.messages.3.role`. */
  field?: string;
  message: string;
}

export class SessionBuddyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, status: number, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class ValidationError extends SessionBuddyError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('validation_failed', 400, message, details);
  }

  /** Turns a zod failure into one error whose message names every offending field. */
  static fromZod(error: ZodError, prefix?: string): ValidationError {
    const details = error.issues.flatMap((issue): ErrorDetail[] => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
      }
      const message =
        issue.code === 'invalid_type' && / received undefined$/.test(issue.message)
          ? 'is required'
          : // zod's own messages start with "Invalid input: ", which the summary below already says once.
            issue.message.replace(/^Invalid input: /, '');
      return [{ field: path.join('.') || undefined, message }];
    });
    const summary = details
      .slice(0, 5)
      .map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))
      .join('; ');
    return new ValidationError(`Invalid input: ${summary}`, details);
  }
}

export class NotFoundError extends SessionBuddyError {
  constructor(kind: string, id: string) {
    super('not_found', 404, `${kind} '${id}' not found`);
  }
}

export class ConflictError extends SessionBuddyError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

export class PayloadTooLargeError extends SessionBuddyError {
  constructor(limitBytes: number) {
    super('payload_too_large', 413, `Request body exceeds the limit of ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends SessionBuddyError {
  constructor(got: string | undefined) {
    super('unsupported_media_type', 415, `Content-Type must be application/json (got ${got ? `'${got}'` : 'none'})`);
  }
}

export class UnauthorizedError extends SessionBuddyError {
  constructor(message = 'Missing or invalid bearer token') {
    super('unauthorized', 401, message);
  }
}

/** The caller is known but may not do this (its token lacks the role the operation needs). */
export class ForbiddenError extends SessionBuddyError {
  constructor(message: string) {
    super('forbidden', 403, message);
  }
}

/** The caller's request budget (`rateLimit.*`) is spent for now; `Retry-After` says when the next call passes. */
export class RateLimitedError extends SessionBuddyError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'rate_limited',
      429,
      `Rate limit exceeded (rateLimit.perSecond, rateLimit.burst); retry after ${retryAfterSeconds} s`,
    );
  }
}

export class UnavailableError extends SessionBuddyError {
  /** @param retryAfterSeconds sent as the HTTP `Retry-After` header when set. */
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super('unavailable', 503, message);
  }
}

/** Invalid configuration: the CLI prints the message and exits with code 2. */
export class ConfigError extends SessionBuddyError {
  constructor(message: string) {
    super('config_invalid', 500, message);
  }
}

export function isSessionBuddyError(error: unknown): error is SessionBuddyError {
  return error instanceof SessionBuddyError;
}
