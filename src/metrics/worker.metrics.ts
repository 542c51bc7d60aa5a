import { Gauge, type Registry } from 'prom-client';
import { QUEUE_NAMES, type QueueName } from '../jobs/job-registry.js';

/**
 * `session_buddy_worker_consuming{queue}`: 1 for each queue this process consumes right now, 0 for the others
 * (every process exports every queue), so `max by (queue) (...) == 0` means no scraped process consumes a queue
 * (the SessionBuddyWorkerAbsent alert). `analytics` counts only on the analytics owner.
 */
export function registerWorkerGauge(registry: Registry, consumes: (queue: QueueName) => boolean): void {
  new Gauge({
    name: 'session_buddy_worker_consuming',
    help: 'Whether this process consumes the queue now: 1 or 0 (analytics: only the analytics owner)',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      for (const queue of QUEUE_NAMES) this.set({ queue }, consumes(queue) ? 1 : 0);
    },
  });
}
