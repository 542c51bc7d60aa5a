/** One failed attempt of a job, as a dead letter keeps it (no stack: stacks stay on the dead letter itself). */
export interface AttemptFailure {
  attempt: number;
  /** When the attempt failed, ISO 8601. */
  at: string;
  /** The error's class (its `name`), e.g. `HttpError`, `TimeoutError`. */
  error: string;
  /** The error's `code` or HTTP `status`, when it has one. */
  code?: string;
  message: string;
}

/** Attempts a dead letter keeps: the first (the original cause) and the latest ones. */
export const ATTEMPT_HISTORY_MAX = 10;
const MESSAGE_MAX = 500;

/** The record of a failed attempt. */
export function attemptFailure(attempt: number, error: Error, at = new Date()): AttemptFailure {
  const { code, status } = error as { code?: unknown; status?: unknown };
  const codeOf = typeof code === 'string' || typeof code === 'number' ? code : status;
  const message = error.message || String(error);
  return {
    attempt,
    at: at.toISOString(),
    error: error.name || 'Error',
    ...(typeof codeOf === 'string' || typeof codeOf === 'number' ? { code: String(codeOf) } : {}),
    message: message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message,
  };
}

/** Appends a failure, keeping the first one and the latest: at most ATTEMPT_HISTORY_MAX entries. */
export function appendFailure(
  history: readonly AttemptFailure[] | undefined,
  failure: AttemptFailure,
): AttemptFailure[] {
  const all = [...(history ?? []), failure];
  if (all.length <= ATTEMPT_HISTORY_MAX) return all;
  return [all[0] as AttemptFailure, ...all.slice(all.length - (ATTEMPT_HISTORY_MAX - 1))];
}

/** `Class [code]: message`. */
export function describeFailure(f: AttemptFailure): string {
  return `${f.error}${f.code ? ` [${f.code}]` : ''}: ${f.message}`;
}

/**
 * The first distinct cause: the earliest failure whose message differs from the last one (e.g. the provider's 500
 * before the attempts that then timed out). Null when every attempt failed alike.
 */
export function firstDistinctCause(history: readonly AttemptFailure[]): string | null {
  const last = history[history.length - 1];
  if (!last) return null;
  const first = history.find((f) => f.message !== last.message || f.error !== last.error);
  return first ? describeFailure(first) : null;
}
