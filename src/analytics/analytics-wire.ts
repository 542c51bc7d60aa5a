import {
  ConflictError,
  type ErrorCode,
  type ErrorDetail,
  NotFoundError,
  SessionBuddyError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
} from '../core/errors.js';
import type { Principal } from '../core/principal.js';

/**
 * How analytics reads travel from an API process to the analytics owner (the one process holding the DuckDB file):
 * `POST /internal/analytics/<method>` on the owner's worker listener, a JSON body `{ principal, args }`, and back
 * either the method's JSON result, a streamed body (a stream result), or an RFC 9457 problem re-raised as the same
 * SessionBuddyError subclass.
 */
export const INTERNAL_ANALYTICS_PATH = '/internal/analytics';

/** The `aud` claim of the short-lived tokens the API signs for these calls (auth on). */
export const INTERNAL_AUDIENCE = 'session-buddy-internal';

/** Marks a streamed result; its value is the result's other fields as base64url JSON. */
export const STREAM_HEADER = 'x-session-buddy-stream';

export interface InternalCall {
  principal: Principal;
  args: unknown[];
}

/** A result whose body is streamed (e.g. an export): `stream` plus JSON fields such as contentType, fileName. */
export interface StreamResult {
  stream: ReadableStream<Uint8Array>;
  contentType?: string;
  [field: string]: unknown;
}

export function isStreamResult(value: unknown): value is StreamResult {
  return typeof value === 'object' && value !== null && (value as StreamResult).stream instanceof ReadableStream;
}

/** Checks an internal call's body; a bad one is a ValidationError naming the field. */
export function parseInternalCall(body: unknown): InternalCall {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const principal = (typeof b.principal === 'object' && b.principal !== null ? b.principal : {}) as Record<
    string,
    unknown
  >;
  const problems: ErrorDetail[] = [];
  if (typeof principal.tenantId !== 'string' || principal.tenantId === '') {
    problems.push({ field: 'body.principal.tenantId', message: 'must be a non-empty string' });
  }
  if (principal.subject !== undefined && typeof principal.subject !== 'string') {
    problems.push({ field: 'body.principal.subject', message: 'must be a string' });
  }
  if (!Array.isArray(b.args)) problems.push({ field: 'body.args', message: 'must be an array' });
  if (problems.length > 0) {
    throw new ValidationError(`Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
  const subject = principal.subject as string | undefined;
  return {
    principal: { tenantId: principal.tenantId as string, ...(subject === undefined ? {} : { subject }) },
    args: b.args as unknown[],
  };
}

/** The owner's answer for a result: JSON, or the stream as the body (pulled as the client reads: backpressure). */
export function encodeResult(result: unknown): Response {
  if (!isStreamResult(result)) {
    return new Response(JSON.stringify(result ?? null), { headers: { 'content-type': 'application/json' } });
  }
  const { stream, ...fields } = result;
  return new Response(stream, {
    headers: {
      'content-type': typeof fields.contentType === 'string' ? fields.contentType : 'application/octet-stream',
      [STREAM_HEADER]: Buffer.from(JSON.stringify(fields)).toString('base64url'),
    },
  });
}

/**
 * The result an owner's answer stands for: the JSON value, or for a streamed one its fields with `stream` the
 * response body, not read here. A problem answer is thrown as its SessionBuddyError.
 */
export async function decodeResult(response: Response): Promise<unknown> {
  if (!response.ok) throw await errorFromResponse(response);
  const marker = response.headers.get(STREAM_HEADER);
  if (marker === null) return response.json();
  const fields = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { ...fields, stream: response.body ?? new Blob([]).stream() };
}

type ErrorFactory = (detail: string, errors: ErrorDetail[], retryAfter: number | undefined) => SessionBuddyError;

const ERRORS: Partial<Record<ErrorCode, ErrorFactory>> = {
  validation_failed: (detail, errors) => new ValidationError(detail, errors),
  not_found: (detail) => withMessage(new NotFoundError('', ''), detail),
  conflict: (detail) => new ConflictError(detail),
  unauthorized: (detail) => new UnauthorizedError(detail),
  unavailable: (detail, _errors, retryAfter) => new UnavailableError(detail, retryAfter),
};

/** Re-raises an owner's problem+json as the SessionBuddyError it was (same class, code, status, detail, errors). */
export async function errorFromResponse(response: Response): Promise<SessionBuddyError> {
  const text = await response.text();
  let problem: { code?: ErrorCode; detail?: string; errors?: ErrorDetail[] } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // Not a problem document (a proxy's page): described below by status.
  }
  if (!problem.code || typeof problem.detail !== 'string') {
    return new UnavailableError(`the analytics owner answered ${response.status} without a problem document`, 5);
  }
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  const make = ERRORS[problem.code];
  return make
    ? make(problem.detail, errors, retryAfter)
    : new SessionBuddyError(problem.code, response.status, problem.detail, errors);
}

function withMessage<E extends Error>(error: E, message: string): E {
  error.message = message;
  return error;
}
