import { Gauge, type Registry } from 'prom-client';
import type { Readiness } from '../services/health.service.js';

/**
 * `session_buddy_dependency_up{dependency}`: 1 when a readiness probe passes, 0 when it fails — the same bounded
 * checks as /readyz (`postgresql` or `sqlite`, `redis`, `<name> (circuit)` per breaker, `analytics owner`, which is 0
 * on a standby), run at scrape time, so an alert can tell "PostgreSQL unavailable" from "this process is gone"
 * (Prometheus's `up == 0`). Label values are the check names: a fixed, small set.
 */
export function registerDependencyGauge(registry: Registry, readiness: () => Promise<Readiness>): void {
  new Gauge({
    name: 'session_buddy_dependency_up',
    help: 'Readiness probe per dependency, as /readyz: 1 up, 0 down (postgresql, sqlite, redis, breakers, analytics owner)',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      this.reset();
      const result = await readiness().catch(() => undefined);
      for (const d of result?.dependencies ?? []) this.set({ dependency: d.name }, d.state === 'up' ? 1 : 0);
    },
  });
}
