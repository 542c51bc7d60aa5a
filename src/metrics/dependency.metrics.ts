import { Gauge, type Registry } from 'prom-client';
import type { Readiness } from '../services/health.service.js';

/**
 * `session_buddy_dependency_up{dependency}`: 1 when the readiness probe of a dependency (postgresql or sqlite,
 * redis, breakers, analytics owner) answers, 0 when it is down — the same bounded checks as /readyz, run at scrape
 * time, so an alert can tell "PostgreSQL unavailable" from "this process is gone" (`up == 0`).
 */
export function registerDependencyGauge(registry: Registry, readiness: () => Promise<Readiness>): void {
  new Gauge({
    name: 'session_buddy_dependency_up',
    help: 'Whether a dependency answers its readiness probe: 1 up, 0 down (postgresql, sqlite, redis, breakers)',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await readiness().catch(() => undefined);
      for (const d of result?.dependencies ?? []) this.set({ dependency: d.name }, d.state === 'up' ? 1 : 0);
    },
  });
}
