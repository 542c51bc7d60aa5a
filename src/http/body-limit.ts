import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../core/errors.js';

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

/**
 * Rejects bodies over `maxBytes` with 413. Hono's own bodyLimit wraps the body stream, which makes the
 * Node adapter build a full web Request for every request (the largest cost on the write path). A
 * declared Content-Length is enforced by Node's parser already, so it is checked from the header;
 * only chunked bodies (or in-process requests without a length) go through the stream check.
 */
export function fastBodyLimit(maxBytes: number): MiddlewareHandler {
  const streaming = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(maxBytes);
    },
  });
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxBytes) throw new PayloadTooLargeError(maxBytes);
      return next();
    }
    return streaming(c, next);
  };
}
