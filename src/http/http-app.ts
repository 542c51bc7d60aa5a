import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  PayloadTooLargeError,
  RateLimitedError,
  SessionBuddyError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import { jsonDepthExceeds, tooDeepBodyError } from '../core/validate.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuthService } from '../services/auth.service.js';
import type { HealthService } from '../services/health.service.js';
import { fastBodyLimit } from './body-limit.js';
import { type HostAllowlist, hostOriginGuard } from './host-guard.js';
import { buildOpenApi } from './openapi.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';
import { logTenant, requestContext, routeOf } from './request-context.js';
import type { RouteDef } from './route.js';
import { mountSystemRoutes } from './routes/system.routes.js';
import { assertNotSimpleBrowserRequest } from './simple-request-guard.js';

export type AppEnv = { Variables: { principal: Principal } };

export interface HttpAppDeps {
  routes: RouteDef[];
  auth: AuthService;
  health: HealthService;
  metrics: Metrics;
  logger: Logger;
  bodyLimitBytes: number;
  /** `metrics.token`: a static bearer token that may read `/metrics` when auth is on. */
  metricsToken?: string;
  /** Host/Origin allowlist checked first on every route (DNS-rebinding and cross-site protection). */
  allowlist: HostAllowlist;
  info: { title: string; version: string };
  /** Extra mounts (MCP endpoint, dashboards) added by the composition root. */
  extend?: (app: Hono<AppEnv>) => void;
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT']);

/** The Hono app: middleware, REST routes, system routes, problem+json errors. No I/O of its own. */
export function createHttpApp(deps: HttpAppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', requestContext(deps.logger));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeOf(c);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    deps.metrics.httpRequests.inc(labels);
    deps.metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
  });

  app.onError((error, c) => problemResponse(c, error, deps.logger));
  app.notFound((c) =>
    problemResponse(
      c,
      new SessionBuddyError('not_found', 404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}`),
      deps.logger,
    ),
  );

  // Before anything else, on every route (REST, MCP, admin, /metrics, /docs, health): see host-guard.ts.
  app.use('*', hostOriginGuard(deps.allowlist));

  app.use('/v1/*', fastBodyLimit(deps.bodyLimitBytes));
  app.use('/v1/*', async (c, next) => {
    const principal = await deps.auth.authenticate(c.req.header('authorization'));
    logTenant(principal.tenantId);
    c.set('principal', principal);
    await next();
  });

  for (const route of deps.routes) {
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      assertNotSimpleBrowserRequest(c, route.textBody);
      const text = route.textBody && isTextBody(c, route.textBody) ? await c.req.text() : undefined;
      return route.handler(c, {
        params: c.req.param() as Record<string, string>,
        query: c.req.query(),
        body: text === undefined && BODY_METHODS.has(c.req.method) ? await readJsonBody(c) : undefined,
        ...(text === undefined ? {} : { text }),
        principal: c.get('principal'),
      });
    });
  }

  deps.extend?.(app);
  mountSystemRoutes(app as unknown as Hono, {
    health: deps.health,
    metrics: deps.metrics,
    openapi: () => buildOpenApi(deps.routes, deps.info),
    auth: deps.auth,
    ...(deps.metricsToken ? { metricsToken: deps.metricsToken } : {}),
  });
  return app;
}

function isTextBody(c: Context, types: string[]): boolean {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type !== undefined && types.includes(type);
}

async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) return undefined;
  const type = c.req.header('content-type');
  if (!type || !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError(type);
  if (jsonDepthExceeds(text)) throw tooDeepBodyError();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`Invalid input: body: is not valid JSON (${(error as Error).message})`, [
      { field: 'body', message: 'is not valid JSON' },
    ]);
  }
}

function problemResponse(c: Context, error: unknown, logger: Logger): Response {
  let mapped = error;
  if (error instanceof HTTPException && !(error.cause instanceof SessionBuddyError)) {
    mapped =
      error.status === 413
        ? new PayloadTooLargeError(0)
        : new SessionBuddyError(error.status >= 500 ? 'internal' : 'validation_failed', error.status, error.message);
  }
  const problem = toProblem(mapped, new URL(c.req.url).pathname);
  if (problem.status >= 500) logger.error({ err: error, path: c.req.path }, 'request failed');
  const retryAfter =
    mapped instanceof UnavailableError || mapped instanceof RateLimitedError ? mapped.retryAfterSeconds : undefined;
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    },
  });
}
