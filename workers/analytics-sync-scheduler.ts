import type { Logger } from '../src/core/logger.js';
import { analyticsSyncJob } from '../src/jobs/job-registry.js';
import type { OutboxRepository } from '../src/repositories/ports.js';
import { PeriodicTask } from './periodic-task.js';

export interface AnalyticsSyncSchedulerOptions {
  /** 0 turns the scheduler off. */
  intervalMs: number;
  /** Tenant the periodic job is queued under (it syncs every tenant). */
  tenantId: string;
}

/**
 * The periodic catch-up of the analytics sync, run by every process that runs workers: each period it queues
 * (through the outbox) one analytics-sync job keyed by the period, so however many processes tick, one job per
 * period runs. It picks up what no write queued a job for (session, pattern and dead-letter changes, deletes)
 * and what a lost or failed job left behind.
 */
export class AnalyticsSyncScheduler {
  private readonly task: PeriodicTask<void>;

  constructor(
    private readonly outbox: Pick<OutboxRepository, 'add'>,
    private readonly options: AnalyticsSyncSchedulerOptions,
    logger: Logger,
    private readonly kick: () => void,
  ) {
    this.task = new PeriodicTask(options.intervalMs, (error) =>
      logger.warn({ err: error.message }, 'could not queue the analytics sync'),
    );
  }

  start(): void {
    this.task.start(() => this.pass(new Date()));
  }

  runOnce(now = new Date()): Promise<void> {
    return this.task.run(() => this.pass(now));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async pass(now: Date): Promise<void> {
    await this.outbox.add([analyticsSyncJob(this.options.tenantId, now, this.options.intervalMs)]);
    this.kick();
  }
}
