import type { Logger } from '../src/core/logger.js';
import { createSnapshotJob } from '../src/jobs/job-registry.js';
import type { OutboxRepository } from '../src/repositories/ports.js';
import { PeriodicTask } from './periodic-task.js';

export interface SnapshotSchedulerOptions {
  /** 0 turns the scheduler off (`sync.cloudEnabled` false). */
  intervalMs: number;
  /** Tenant the job is queued under (a snapshot holds every tenant). */
  tenantId: string;
}

/**
 * Queues the periodic `create-snapshot` job (through the outbox) when workers start and every interval after: keyed
 * by the interval's bucket, so however many processes tick, one snapshot per interval is written.
 */
export class SnapshotScheduler {
  private readonly task: PeriodicTask<void>;

  constructor(
    private readonly outbox: Pick<OutboxRepository, 'add'>,
    private readonly options: SnapshotSchedulerOptions,
    logger: Logger,
    private readonly kick: () => void,
  ) {
    this.task = new PeriodicTask(options.intervalMs, (error) =>
      logger.warn({ err: error.message }, 'could not queue the snapshot'),
    );
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.task.start(() => this.pass(new Date()));
    void this.runOnce().catch(() => undefined);
  }

  runOnce(now = new Date()): Promise<void> {
    return this.task.run(() => this.pass(now));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async pass(now: Date): Promise<void> {
    await this.outbox.add([createSnapshotJob(this.options.tenantId, now, this.options.intervalMs)]);
    this.kick();
  }
}
