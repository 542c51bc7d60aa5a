import type { ErrorDetail } from '../core/errors.js';
import { isSessionBuddyError } from '../core/errors.js';

/** RFC 9457 problem details, with our stable `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: ErrorDetail[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Maps any error to a problem. Unknown errors become a generic 500 that reveals nothing inside. */
export function toProblem(error: unknown, instance?: string): Problem {
  if (isSessionBuddyError(error)) {
    return {
      type: `https://session-buddy.dev/problems/${error.code}`,
      title: TITLES[error.status] ?? 'Error',
      status: error.status,
      detail: error.message,
      code: error.code,
      instance,
      ...(error.details.length > 0 ? { errors: error.details } : {}),
    };
  }
  return {
    type: 'https://session-buddy.dev/problems/internal',
    title: TITLES[500] as string,
    status: 500,
    detail: 'An unexpected error occurred; it has been logged.',
    code: 'internal',
    instance,
  };
}
