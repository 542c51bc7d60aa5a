import type { Logger } from '../core/logger.js';
import { appendFailure, attemptFailure } from '../jobs/attempt-history.js';
import { QUEUE_NAMES } from '../jobs/job-registry.js';
import type {
  FinalFailureHandler,
  JobCounts,
  JobData,
  JobProcessor,
  PublishedJob,
  QueueBackend,
  QueuedJob,
  QueueName,
  RetryPolicy,
  WorkerHandle,
  WorkerOptions,
} from '../jobs/queue.port.js';
import { backoffDelay } from './backoff.js';
import { checkJobIds, runAttempt } from './job-lifecycle.js';

export interface InProcessQueueOptions {
  /** Retry policy per queue. */
  policies: Record<QueueName, RetryPolicy>;
  logger: Logger;
  /** Finished jobs remembered per queue and state for `counts()`, like BullMQ's removeOnComplete/removeOnFail. (Default: 1000) */
  keepFinished?: number;
}

interface Entry {
  job: Omit<QueuedJob, 'attempt'>;
  attemptsMade: number;
  state: 'waiting' | 'delayed' | 'active';
  timer?: NodeJS.Timeout;
}

interface Consumer {
  concurrency: number;
  inFlight: number;
  closing: boolean;
  processor: JobProcessor;
  onFinalFailure: FinalFailureHandler;
  /** Called when a closing consumer has nothing in flight any more. */
  onIdle?: () => void;
  /** Aborted when a close stops waiting for the jobs in flight: their outcome no longer counts (QueuedJob.givenBack). */
  givenBack: AbortController;
}

interface Lane {
  policy: RetryPolicy;
  /** Jobs waiting, delayed or active, by id: the ones a publish with the same id does not add again. */
  pending: Map<string, Entry>;
  waiting: Entry[];
  completed: Set<string>;
  failed: Set<string>;
  consumers: Set<Consumer>;
}

/**
 * The lite-mode queue: the same job contract as BullMQ (ids, dedupe, attempts, backoff, final
 * failures, concurrency, graceful close) in memory with timers. Jobs live in this process only: when
 * it exits, jobs not yet done are lost — acceptable in lite mode, where the store is in memory too;
 * durable work goes through the outbox, which the relay publishes again after a restart.
 */
export class InProcessQueueBackend implements QueueBackend {
  readonly kind = 'in-process' as const;
  private readonly lanes: Record<QueueName, Lane>;
  private readonly logger: Logger;
  private readonly keepFinished: number;
  private closed = false;

  constructor(options: InProcessQueueOptions) {
    this.logger = options.logger;
    this.keepFinished = options.keepFinished ?? 1000;
    const lane = (policy: RetryPolicy): Lane => ({
      policy,
      pending: new Map(),
      waiting: [],
      completed: new Set(),
      failed: new Set(),
      consumers: new Set(),
    });
    this.lanes = Object.fromEntries(QUEUE_NAMES.map((q) => [q, lane(options.policies[q])])) as Record<QueueName, Lane>;
  }

  async publish(queue: QueueName, jobs: PublishedJob[]): Promise<void> {
    this.assertOpen();
    checkJobIds(jobs);
    const lane = this.lanes[queue];
    const enqueuedAt = new Date().toISOString();
    for (const { id, name, key, tenantId, payload, traceContext } of jobs) {
      if (lane.pending.has(id)) continue;
      lane.completed.delete(id);
      lane.failed.delete(id);
      // A JSON copy, as Redis would store it: the producer may reuse its objects.
      const job = {
        id,
        name,
        key,
        tenantId,
        payload: JSON.parse(JSON.stringify(payload)),
        ...(traceContext ? { traceContext } : {}),
      };
      const entry: Entry = {
        job: { ...job, queue, maxAttempts: lane.policy.attempts, enqueuedAt },
        attemptsMade: 0,
        state: 'waiting',
      };
      lane.pending.set(id, entry);
      lane.waiting.push(entry);
    }
    this.dispatch(lane);
  }

  work(options: WorkerOptions, processor: JobProcessor, onFinalFailure: FinalFailureHandler): WorkerHandle {
    this.assertOpen();
    const mine = new Map<Lane, Consumer>();
    for (const queue of new Set(options.queues)) {
      const consumer: Consumer = {
        concurrency: options.concurrency,
        inFlight: 0,
        closing: false,
        processor,
        onFinalFailure,
        givenBack: new AbortController(),
      };
      const lane = this.lanes[queue];
      lane.consumers.add(consumer);
      mine.set(lane, consumer);
      this.dispatch(lane);
    }
    return {
      close: async (timeoutMs) => {
        const idle = [...mine].map(([lane, consumer]) => {
          consumer.closing = true;
          lane.consumers.delete(consumer);
          return consumer.inFlight === 0
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                consumer.onIdle = resolve;
              });
        });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.all(idle), timedOut]);
        clearTimeout(timer);
        // Jobs still running are given back: no attempt spent, no dead letter, whatever they do as the process closes.
        for (const consumer of mine.values()) if (consumer.inFlight > 0) consumer.givenBack.abort();
      },
    };
  }

  async counts(): Promise<Record<QueueName, JobCounts>> {
    const count = (lane: Lane): JobCounts => {
      const counts = { waiting: 0, active: 0, delayed: 0, completed: lane.completed.size, failed: lane.failed.size };
      for (const entry of lane.pending.values()) counts[entry.state] += 1;
      return counts;
    };
    return Object.fromEntries(QUEUE_NAMES.map((q) => [q, count(this.lanes[q])])) as Record<QueueName, JobCounts>;
  }

  async pending(queue: QueueName): Promise<JobData[]> {
    return [...this.lanes[queue].pending.values()].map(({ job: { name, key, tenantId, payload } }) => ({
      name,
      key,
      tenantId,
      payload,
    }));
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  /** Stops every worker and drops the jobs not yet done; jobs in flight finish on their own. */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of Object.values(this.lanes)) {
      for (const entry of lane.pending.values()) clearTimeout(entry.timer);
      for (const consumer of lane.consumers) consumer.closing = true;
      lane.consumers.clear();
      lane.pending.clear();
      lane.waiting.length = 0;
    }
  }

  private dispatch(lane: Lane): void {
    for (const consumer of lane.consumers) {
      while (!consumer.closing && consumer.inFlight < consumer.concurrency) {
        const entry = lane.waiting.shift();
        if (!entry) return;
        void this.run(lane, entry, consumer);
      }
    }
  }

  private async run(lane: Lane, entry: Entry, consumer: Consumer): Promise<void> {
    entry.state = 'active';
    consumer.inFlight += 1;
    const job: QueuedJob = Object.defineProperty({ ...entry.job, attempt: entry.attemptsMade + 1 }, 'givenBack', {
      value: consumer.givenBack.signal,
    });
    const outcome = await runAttempt(job, consumer.processor, consumer.onFinalFailure, this.logger);
    consumer.inFlight -= 1;
    if (outcome.kind === 'completed') this.finish(lane, entry, lane.completed);
    else if (outcome.kind === 'failed') this.finish(lane, entry, lane.failed);
    else if (outcome.kind === 'deferred') {
      // Not a failure (a breaker is open): the same attempt again once the dependency may answer.
      this.schedule(lane, entry, outcome.delayMs);
    } else {
      // `retry` counts the attempt; `redo` runs the same attempt again (its failure is not recorded yet).
      if (outcome.kind === 'retry') {
        entry.attemptsMade += 1;
        entry.job.failures = appendFailure(entry.job.failures, attemptFailure(job.attempt, outcome.error));
      }
      this.schedule(lane, entry, backoffDelay(lane.policy, job.attempt));
    }
    if (consumer.closing && consumer.inFlight === 0) consumer.onIdle?.();
    this.dispatch(lane);
  }

  private schedule(lane: Lane, entry: Entry, delayMs: number): void {
    if (this.closed) return;
    const enqueue = () => {
      entry.timer = undefined;
      entry.state = 'waiting';
      lane.waiting.push(entry);
      this.dispatch(lane);
    };
    if (delayMs > 0) {
      entry.state = 'delayed';
      entry.timer = setTimeout(enqueue, delayMs);
    } else {
      enqueue();
    }
  }

  private finish(lane: Lane, entry: Entry, into: Set<string>): void {
    lane.pending.delete(entry.job.id);
    into.add(entry.job.id);
    if (into.size > this.keepFinished) into.delete(into.values().next().value as string);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the queue backend is closed');
  }
}
