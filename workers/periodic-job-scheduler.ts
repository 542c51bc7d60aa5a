import type { Logger } from '../src/core/logger.js';
import type { OutboxJob, OutboxRepository } from '../src/repositories/ports.js';
import { PeriodicTask } from './periodic-task.js';

export interface PeriodicJobSchedulerOptions {
  /** 0 turns the scheduler off. */
  intervalMs: number;
  /** The outbox entry of the period `now` falls in; its key names the period (see detectionBucket). */
  job: (now: Date) => OutboxJob;
  /** What the job is, for the log line when it cannot be queued. */
  what: string;
  /** Queue the current period's job when started, too, not only when the first interval ends (snapshots). */
  runAtStart?: boolean;
}

/**
 * A periodic job (the analytics sync, the Akosha sync, snapshots), run by every process that runs workers: each period
 * it queues (through the outbox) one job keyed by the period, so however many processes tick, one job per period
 * runs. It picks up what no write queued a job for and what a lost or failed job left behind.
 */
export class PeriodicJobScheduler {
  private readonly task: PeriodicTask<void>;

  constructor(
    private readonly outbox: Pick<OutboxRepository, 'add'>,
    private readonly options: PeriodicJobSchedulerOptions,
    logger: Logger,
    private readonly kick: () => void,
  ) {
    this.task = new PeriodicTask(options.intervalMs, (error) =>
      logger.warn({ err: error.message }, `could not queue the ${options.what}`),
    );
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.task.start(() => this.pass(new Date()));
    if (this.options.runAtStart) void this.runOnce().catch(() => undefined);
  }

  runOnce(now = new Date()): Promise<void> {
    return this.task.run(() => this.pass(now));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async pass(now: Date): Promise<void> {
    await this.outbox.add([this.options.job(now)]);
    this.kick();
  }
}
