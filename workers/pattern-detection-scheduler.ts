import type { AppEvents } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import { detectPatternsJob } from '../src/jobs/job-registry.js';
import type { Store } from '../src/repositories/ports.js';
import { PeriodicTask } from './periodic-task.js';

export interface PatternSchedulerOptions {
  /** 0 turns the scheduler off. */
  intervalMs: number;
  /** Tenants queued per pass at most. (Default: 10000) */
  maxTenants?: number;
}

/**
 * The periodic trigger of pattern detection, run by every process that runs workers. Each period it queues
 * (through the outbox) one tenant-wide detect-patterns job per tenant with messages or reflections written
 * during the last period. The job's bucket is the period, and a bucket runs once (PatternDetector.detectOnce),
 * so however many worker processes tick, each tenant gets one run per period; what a skipped tick would have
 * seen is seen by the next period's run.
 */
export class PatternDetectionScheduler {
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly store: Store,
    private readonly options: PatternSchedulerOptions,
    private readonly logger: Logger,
    private readonly events: Pick<AppEvents, 'emit'>,
  ) {
    this.task = new PeriodicTask(options.intervalMs, (error) =>
      logger.warn({ err: error.message }, 'could not queue pattern detection'),
    );
  }

  start(): void {
    this.task.start(() => this.pass(new Date()));
  }

  /** One pass; returns how many tenants were queued. */
  runOnce(now = new Date()): Promise<number> {
    return this.task.run(() => this.pass(now));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async pass(now: Date): Promise<number> {
    const since = new Date(now.getTime() - this.options.intervalMs).toISOString();
    const tenants = await this.store.patterns.activeTenants(since, this.options.maxTenants ?? 10_000);
    if (tenants.length === 0) return 0;
    await this.store.outbox.add(tenants.map((t) => detectPatternsJob(t, null, now, this.options.intervalMs)));
    this.logger.info({ tenants: tenants.length }, 'pattern detection queued');
    this.events.emit('outbox:added');
    return tenants.length;
  }
}
