import { UnavailableError } from '../../core/errors.js';

/**
 * Errors that mean "the database cannot be reached", not "this query is wrong": socket errors, the driver's own
 * connection errors, SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, starting up), 53300
 * (too many connections) and a statement cancelled by `statement_timeout`.
 */
const SOCKET_CODES = new Set([
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_SOCKET_CLOSED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || DRIVER_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08')) {
      return true;
    }
    if (code === '57014' && /statement timeout/i.test(error.message)) return true;
  }
  return /Connection terminated/i.test(error.message);
}

/** Turns a connection error into one `UnavailableError` (503 + Retry-After); any other error is returned as is. */
export function classifyStoreError(error: unknown, retryAfterSeconds: number): unknown {
  if (error instanceof UnavailableError || !isConnectionError(error)) return error;
  const code = (error as { code?: string }).code;
  // The code (ECONNREFUSED, 57P01, …) tells operators why; the driver's message may name internal hosts.
  const unavailable = new UnavailableError(
    code === '57014'
      ? `The database did not answer in time; retry in ${retryAfterSeconds} s`
      : `The database is unavailable${code ? ` (${code})` : ''}; retry in ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
  // Operators see the driver's reason in the log; clients get the stable message above.
  Object.defineProperty(unavailable, 'cause', { value: error, enumerable: false });
  return unavailable;
}

/**
 * Wraps a repository so every method's rejection passes through `classifyStoreError`: the one place PostgreSQL's
 * connection failures become `UnavailableError`, whatever the repository or the query.
 */
export function classifyingRepository<T extends object>(repository: T, retryAfterSeconds: number): T {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return function (this: unknown, ...args: unknown[]) {
        let result: unknown;
        try {
          result = value.apply(this === receiver ? target : this, args);
        } catch (error) {
          throw classifyStoreError(error, retryAfterSeconds);
        }
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            throw classifyStoreError(error, retryAfterSeconds);
          });
        }
        return result;
      };
    },
  });
}
