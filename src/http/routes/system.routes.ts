import type { Hono } from 'hono';
import type { Metrics } from '../../metrics/metrics.js';
import type { AuthService } from '../../services/auth.service.js';
import type { HealthService } from '../../services/health.service.js';
import { metricsGuard } from '../metrics-guard.js';
import { renderReference } from '../reference-page.js';

/**
 * Health, readiness, metrics and API docs: unversioned, not in the OpenAPI paths. All unauthenticated but
 * `/metrics`, which with auth on needs an operator or admin token, or `metrics.token` (see metrics-guard.ts).
 */
export function mountSystemRoutes(
  app: Hono,
  deps: {
    health: HealthService;
    metrics: Metrics;
    openapi: () => Record<string, unknown>;
    auth: AuthService;
    metricsToken?: string;
  },
): void {
  app.get('/healthz', (c) => c.json(deps.health.liveness()));
  app.get('/readyz', async (c) => {
    const readiness = await deps.health.readiness();
    return c.json(readiness, readiness.ready ? 200 : 503);
  });
  app.get('/metrics', metricsGuard(deps.auth, deps.metricsToken), async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  let cachedSpec: Record<string, unknown> | undefined;
  const spec = () => {
    cachedSpec ??= deps.openapi();
    return cachedSpec;
  };
  app.get('/openapi.json', (c) => c.json(spec()));
  app.get('/docs', (c) => c.html(renderReference(spec())));
}
