import type { Context, MiddlewareHandler } from 'hono';
import { uuidv7 } from '../core/ids.js';
import { addLogContext, withLogContext } from '../core/log-context.js';
import type { Logger } from '../core/logger.js';
import { contextOf, SpanKind, SpanStatusCode, withSpan } from '../tracing/spans.js';

/** A caller's `x-request-id` is kept when it is a plain token; anything else is replaced by our own id. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * First on every route: the request's id (the caller's `x-request-id`, or a new one, answered in `x-request-id`) on
 * every log line written while it is handled, and its span: a server span continuing the caller's W3C
 * `traceparent`, named by method and route once the route is known.
 */
export function requestContext(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    const reqId = given && REQUEST_ID.test(given) ? given : uuidv7();
    const parent = contextOf(c.req.header('traceparent'), c.req.header('tracestate'));
    await withLogContext({ reqId }, () =>
      withSpan(
        c.req.method,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path },
        },
        async (span) => {
          await next();
          const route = routeOf(c);
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute('http.route', route);
          span.setAttribute('http.response.status_code', c.res.status);
          span.setAttribute('session_buddy.request_id', reqId);
          // A 4xx is the caller's mistake, answered as designed; a 5xx is ours.
          if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          // The route pattern, never the path: ids and query strings stay out of logs at every level.
          logger.debug(
            { method: c.req.method, route, status: c.res.status, ms: Math.round(performance.now() - started) },
            'request completed',
          );
        },
        parent,
      ),
    );
    try {
      c.res.headers.set('x-request-id', reqId);
    } catch {
      // A response with immutable headers (a proxied fetch) goes out without it.
    }
  };
}

/** The tenant a request acts for, on its log lines from authentication on. */
export function logTenant(tenantId: string): void {
  addLogContext({ tenant: tenantId });
}

/** The matched route pattern (`/v1/sessions/:id`), `unmatched` for none: never the raw path with its ids. */
export function routeOf(c: Context): string {
  return c.req.routePath === '*' || c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
}
