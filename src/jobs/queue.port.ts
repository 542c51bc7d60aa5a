import type { AttemptFailure } from './attempt-history.js';
import type { QueueName } from './job-registry.js';

export type { QueueName };

/** What a producer hands to a queue. */
export interface JobData {
  /** Job name from the registry, e.g. `embed-messages`. */
  name: string;
  /** Logical key: the same work always has the same key (dead letters are keyed by it). */
  key: string;
  tenantId: string;
  payload: Record<string, unknown>;
  /** W3C traceparent the job's span continues (the relay's publish span); absent when tracing is off. */
  traceContext?: string;
}

export interface PublishedJob extends JobData {
  /** Backend job id; jobs with an id already waiting, delayed or active are not added again. No ':' allowed. */
  id: string;
}

/** What a processor receives. */
export interface QueuedJob extends PublishedJob {
  queue: QueueName;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** When the job was first added, ISO 8601. */
  enqueuedAt: string;
  /**
   * Aborted when the worker, shutting down, gave the job back to the queue because it had not finished in time:
   * whatever the attempt does next is ignored and spends no attempt (another worker runs it again).
   */
  givenBack?: AbortSignal;
  /** The failures of its earlier counted attempts (bounded, see attempt-history.ts), for the dead letter. */
  failures?: readonly AttemptFailure[];
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  maxDelayMs: number;
  jitter: number;
}

/**
 * Runs one job. Throwing fails the attempt; a `NonRetryableError` (see job-errors.ts) ends the
 * job at once. The backend owns attempts and backoff; the processor owns everything else.
 */
export type JobProcessor = (job: QueuedJob) => Promise<void>;

/** Called once when a job has failed for good (attempts exhausted or non-retryable), before it is marked failed. */
export type FinalFailureHandler = (job: QueuedJob, error: Error) => Promise<void>;

export interface WorkerOptions {
  queues: readonly QueueName[];
  /** Jobs in flight per queue. */
  concurrency: number;
}

export interface WorkerHandle {
  /** Stops taking jobs, waits up to `timeoutMs` for in-flight ones, leaves the rest to other workers. */
  close(timeoutMs: number): Promise<void>;
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/** The queue port: BullMQ on Redis (standard) or in-process (lite). Both pass tests/contract/queue.contract.ts. */
export interface QueueBackend {
  readonly kind: 'bullmq' | 'in-process';
  publish(queue: QueueName, jobs: PublishedJob[]): Promise<void>;
  work(options: WorkerOptions, processor: JobProcessor, onFinalFailure: FinalFailureHandler): WorkerHandle;
  counts(): Promise<Record<QueueName, JobCounts>>;
  /**
   * The jobs of `queue` still to be done (waiting, delayed or active) with their payloads, read in pages; for the
   * embedding reconciler, which must not queue again what is only waiting behind a backlog.
   */
  pending(queue: QueueName): Promise<JobData[]>;
  /** Throws when the backend cannot accept jobs (Redis down). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
