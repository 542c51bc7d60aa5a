import { Counter, Gauge, type Registry } from 'prom-client';
import type { SyncStatus } from '../services/sync/akosha-sync.js';

export interface SyncMetrics {
  itemsPushed: Counter<'target' | 'kind'>;
}

/**
 * Akosha sync metrics: items acknowledged (counted by the process that pushed them), and the backlog and lag per
 * kind, read at scrape time from the primary store (`status` returns undefined when the sync is off: no sample).
 * Labels are bounded: one target, four kinds.
 */
export function createSyncMetrics(registry: Registry, status: () => Promise<SyncStatus | undefined>): SyncMetrics {
  const read = async () => status().catch(() => undefined);
  let last: Promise<SyncStatus | undefined> | undefined;
  // Both gauges of one scrape share one read.
  const once = () => {
    last ??= read().finally(() => setTimeout(() => (last = undefined), 0));
    return last;
  };
  new Gauge({
    name: 'session_buddy_sync_lag_seconds',
    help: 'Seconds since the oldest item not yet pushed to the sync target changed, by target and kind (0: none)',
    labelNames: ['target', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await once();
      for (const k of s?.kinds ?? []) this.set({ target: s?.target ?? '', kind: k.kind }, k.lagSeconds);
    },
  });
  new Gauge({
    name: 'session_buddy_sync_pending_items',
    help: 'Items changed after the cursor of the sync target (not pushed yet), by target and kind',
    labelNames: ['target', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const s = await once();
      for (const k of s?.kinds ?? []) this.set({ target: s?.target ?? '', kind: k.kind }, k.pending);
    },
  });
  return {
    itemsPushed: new Counter({
      name: 'session_buddy_sync_items_pushed_total',
      help: 'Items the sync target acknowledged, by target and kind',
      labelNames: ['target', 'kind'],
      registers: [registry],
    }),
  };
}
