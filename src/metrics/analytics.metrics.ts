import { Counter, Gauge, type Registry } from 'prom-client';
import type { FactFreshness } from '../analytics/analytics.store.js';

export interface AnalyticsMetrics {
  syncRows: Counter<'fact' | 'op'>;
}

/**
 * Analytics sync metrics: rows moved into DuckDB, and the freshness lag per fact table, read at scrape time from
 * the process's analytics store (`freshness` returns undefined while it is not open here: no sample then).
 */
export function createAnalyticsMetrics(
  registry: Registry,
  freshness: () => Promise<FactFreshness[] | undefined>,
): AnalyticsMetrics {
  new Gauge({
    name: 'session_buddy_analytics_freshness_lag_seconds',
    help: 'Seconds since the last analytics sync that read the fact table to the end (how stale DuckDB may be)',
    labelNames: ['fact'],
    registers: [registry],
    async collect() {
      this.reset();
      const facts = await freshness().catch(() => undefined);
      for (const f of facts ?? []) if (f.lagSeconds !== null) this.set({ fact: f.fact }, f.lagSeconds);
    },
  });
  return {
    syncRows: new Counter({
      name: 'session_buddy_analytics_sync_rows_total',
      help: 'Rows the analytics sync upserted into or deleted from DuckDB, by fact table and op',
      labelNames: ['fact', 'op'],
      registers: [registry],
    }),
  };
}
