import type { Logger } from '../core/logger.js';
import type { Store } from '../repositories/ports.js';
import { detectPatternsJob } from './handlers/detect-patterns.handler.js';

export interface PatternSchedulerOptions {
  /** 0 turns the scheduler off. */
  intervalMs: number;
  /** Tenants queued per pass at most. (Default: 10000) */
  maxTenants?: number;
}

/**
 * The periodic trigger of pattern detection, run by every process that runs workers. Each period it queues
 * (through the outbox) one tenant-wide detect-patterns job per tenant with messages or reflections written
 * during the last period. The job key is the tenant and the period, so however many worker processes tick,
 * each tenant gets one job per period.
 */
export class PatternDetectionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: PatternSchedulerOptions,
    private readonly logger: Logger,
    private readonly onQueued: () => void,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(
      () =>
        void this.runOnce().catch((error: Error) =>
          this.logger.warn({ err: error.message }, 'could not queue pattern detection'),
        ),
      this.options.intervalMs,
    );
    this.timer.unref();
  }

  /** One pass; returns how many tenants were queued. */
  runOnce(now = new Date()): Promise<number> {
    this.running ??= this.pass(now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(now: Date): Promise<number> {
    const since = new Date(now.getTime() - this.options.intervalMs).toISOString();
    const tenants = await this.store.patterns.activeTenants(since, this.options.maxTenants ?? 10_000);
    if (tenants.length === 0) return 0;
    await this.store.outbox.add(tenants.map((t) => detectPatternsJob(t, null, now, this.options.intervalMs)));
    this.logger.info({ tenants: tenants.length }, 'pattern detection queued');
    this.onQueued();
    return tenants.length;
  }
}
