import { hostname } from 'node:os';
import { DelayedError, type Job, type JobType, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { UnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type AttemptFailure, appendFailure, attemptFailure } from '../jobs/attempt-history.js';
import { NonRetryableError } from '../jobs/job-errors.js';
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
import { checkJobIds, runAttempt, settleFailure } from './job-lifecycle.js';

export interface BullMqQueueOptions {
  /** Redis URL. */
  url: string;
  /** Key prefix of every queue key (`<prefix>:<queue>:…`). */
  prefix: string;
  /** Retry policy per queue. */
  policies: Record<QueueName, RetryPolicy>;
  logger: Logger;
  /** How long a worker holds an active job without renewing its lock; a dead worker's jobs wait this long. (Default: 30000) */
  lockDurationMs?: number;
  /** How often workers look for active jobs whose worker died and requeue them. (Default: 30000) */
  stalledIntervalMs?: number;
  /** Times a job may be requeued after losing its worker; one more and it fails for good (a poison job that kills its worker). (Default: 2) */
  maxStalledCount?: number;
  /**
   * Bound on publish, counts and ping. With Redis down they fail at once (the producer connection has no
   * offline queue); this covers what the client cannot see: never connected yet, a half-open connection. (Default: 5000)
   */
  operationTimeoutMs?: number;
  /** Completed jobs kept in Redis per queue, for the dashboard. (Default: 1000) */
  keepCompleted?: number;
  /** Failed jobs kept in Redis per queue; dead letters are in the primary store. (Default: 1000) */
  keepFailed?: number;
}

interface BullJobData {
  key: string;
  tenantId: string;
  payload: Record<string, unknown>;
  traceContext?: string;
  /** Failures of earlier counted attempts, for the dead letter (see attempt-history.ts). */
  failures?: AttemptFailure[];
}

// BullMQ's own stall limit fails a job without running the processor, so `onFinalFailure` would never hear of it;
// the limit is enforced in `process` instead.
const NO_BULLMQ_STALL_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * The standard-mode queue: BullMQ on Redis, one `Queue` per queue name sharing one producer connection, and
 * per `work()` call one `Worker` per queue sharing one connection (each Worker adds its own blocking one).
 *
 * Attempts: BullMQ's `attemptsMade` counts finished failed attempts (it is incremented when an attempt is
 * moved to delayed, retried or finished), so the running attempt is `attemptsMade + 1`. A run cut short by a
 * dead worker (stalled) does not count: the job runs again with the same attempt number.
 */
export class BullMqQueueBackend implements QueueBackend {
  readonly kind = 'bullmq' as const;
  private readonly producer: Redis;
  private readonly queues: Record<QueueName, Queue<BullJobData>>;
  private readonly handles = new Set<WorkerHandle>();
  private readonly options: Required<BullMqQueueOptions>;
  private closing?: Promise<void>;

  constructor(options: BullMqQueueOptions) {
    this.options = {
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalledCount: 2,
      operationTimeoutMs: 5_000,
      keepCompleted: 1_000,
      keepFailed: 1_000,
      ...options,
    };
    // While Redis is down a publish fails at once, so the outbox keeps its rows: no offline queue, and commands
    // in flight when the connection drops fail instead of waiting for a reconnect. BullMQ needs
    // `maxRetriesPerRequest: null` only on worker (blocking) connections.
    this.producer = this.connect('producer', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, this.newQueue(name)])) as Record<
      QueueName,
      Queue<BullJobData>
    >;
  }

  async publish(queue: QueueName, jobs: PublishedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    checkJobIds(jobs);
    const { attempts } = this.options.policies[queue];
    const { keepCompleted, keepFailed } = this.options;
    await this.bounded(`publish to ${queue}`, async () => {
      const target = await this.ready(queue);
      await this.forgetFinished(target, jobs);
      await target.addBulk(
        jobs.map(({ id, name, key, tenantId, payload, traceContext }) => ({
          name,
          data: { key, tenantId, payload, ...(traceContext ? { traceContext } : {}) },
          opts: {
            jobId: id,
            attempts,
            backoff: { type: 'custom' },
            removeOnComplete: { count: keepCompleted },
            removeOnFail: { count: keepFailed },
          },
        })),
      );
    });
  }

  work(options: WorkerOptions, processor: JobProcessor, onFinalFailure: FinalFailureHandler): WorkerHandle {
    if (this.closing) throw new Error('the queue backend is closed');
    const connection = this.connect('worker', {});
    // Jobs in flight in this handle's workers, so that a shutdown that cannot wait for them can give them back.
    const inFlight = new Map<string, InFlight>();
    const workers = [...new Set(options.queues)].map((queue) => {
      const policy = this.options.policies[queue];
      const worker = new Worker<BullJobData>(
        queue,
        (job, token) => this.process(queue, job, token, processor, onFinalFailure, inFlight),
        {
          connection,
          prefix: this.options.prefix,
          name: `${hostname()}:${process.pid}`,
          concurrency: options.concurrency,
          lockDuration: this.options.lockDurationMs,
          stalledInterval: this.options.stalledIntervalMs,
          maxStalledCount: NO_BULLMQ_STALL_LIMIT,
          // BullMQ passes the failed attempts so far, this one included.
          settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(policy, attemptsMade) },
        },
      );
      this.reportErrors(worker, `worker ${queue}`);
      return worker;
    });
    const handle: WorkerHandle = {
      close: async (timeoutMs) => {
        this.handles.delete(handle);
        const graceful = Promise.all(workers.map((worker) => worker.close()));
        if (!(await settlesWithin(graceful, timeoutMs))) {
          // Jobs still running are given back: moved to delayed (due now) without counting an attempt, for another
          // worker; what their attempt does next is ignored (see QueuedJob.givenBack). Should Redis refuse, their
          // locks lapse and another worker's stalled check requeues them.
          await settlesWithin(Promise.allSettled([...inFlight.values()].map((f) => giveBack(f))), 2_000);
          // The connections are dropped directly: BullMQ's disconnect() waits for an 'end' event that ioredis never
          // sends while it is between reconnection attempts (Redis down).
          const blocking = workers.map(async (worker) => (await worker.getBackend().blockingClient)?.disconnect());
          await settlesWithin(Promise.allSettled(blocking), 1_000);
        }
        connection.disconnect();
      },
    };
    this.handles.add(handle);
    return handle;
  }

  async counts(): Promise<Record<QueueName, JobCounts>> {
    return this.bounded('counts', async () => {
      const counts = await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const c = await (await this.ready(name)).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
          const jobCounts: JobCounts = {
            waiting: c.waiting ?? 0,
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            completed: c.completed ?? 0,
            failed: c.failed ?? 0,
          };
          return [name, jobCounts] as const;
        }),
      );
      return Object.fromEntries(counts) as Record<QueueName, JobCounts>;
    });
  }

  async pending(queue: QueueName): Promise<JobData[]> {
    const jobs: JobData[] = [];
    // Pages, each within the operation bound: a backlog of thousands is read without one long Redis call.
    for (let start = 0; ; start += PENDING_PAGE) {
      const page = await this.bounded(`pending jobs of ${queue}`, async () =>
        (await this.ready(queue)).getJobs(PENDING_STATES, start, start + PENDING_PAGE - 1, true),
      );
      for (const job of page) {
        if (job?.data)
          jobs.push({ name: job.name, key: job.data.key, tenantId: job.data.tenantId, payload: job.data.payload });
      }
      if (page.length < PENDING_PAGE) return jobs;
    }
  }

  async ping(): Promise<void> {
    await this.bounded('ping', async () => {
      await this.ready('embedding');
      await this.producer.ping();
    });
  }

  /**
   * The BullMQ queues as they are now, for the queue dashboard. A queue replaced after a lost connection (see
   * `ready`) is a new object, so callers ask again instead of keeping the array.
   */
  bullQueues(): Queue[] {
    return QUEUE_NAMES.map((name) => this.queues[name]);
  }

  /** Closes what is still open: workers without waiting for their jobs (close their handles first), queues, connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.handles].map((handle) => handle.close(0)));
      await Promise.allSettled(Object.values(this.queues).map((queue) => queue.close()));
      this.producer.disconnect();
    })();
    return this.closing;
  }

  private newQueue(name: QueueName): Queue<BullJobData> {
    const queue = new Queue<BullJobData>(name, { connection: this.producer, prefix: this.options.prefix });
    this.reportErrors(queue, `queue ${name}`);
    return queue;
  }

  /**
   * The queue once BullMQ has initialised it (it waits for the connection, then asks the server version). If the
   * connection drops in between, that Queue would fail for good, so it is replaced and the next call starts over.
   */
  private async ready(name: QueueName): Promise<Queue<BullJobData>> {
    const queue = this.queues[name];
    try {
      await queue.waitUntilReady();
      return queue;
    } catch (error) {
      if (this.queues[name] === queue && !this.closing) {
        this.queues[name] = this.newQueue(name);
        void queue.close().catch(() => undefined);
      }
      throw error;
    }
  }

  private async process(
    queue: QueueName,
    bullJob: Job<BullJobData>,
    token: string | undefined,
    processor: JobProcessor,
    onFinalFailure: FinalFailureHandler,
    inFlight: Map<string, InFlight>,
  ): Promise<void> {
    const givenBack = new AbortController();
    // Not enumerable: the job stays plain data (logs, equality), the signal a side channel.
    const job: QueuedJob = Object.defineProperty(toQueuedJob(queue, bullJob), 'givenBack', { value: givenBack.signal });
    const flight: InFlight = { job: bullJob, token, givenBack };
    inFlight.set(job.id, flight);
    try {
      await this.attempt(queue, job, bullJob, token, processor, onFinalFailure);
    } catch (error) {
      // Given back at shutdown: the job is someone else's now; BullMQ does nothing with a DelayedError.
      if (givenBack.signal.aborted) throw new DelayedError();
      throw error;
    } finally {
      inFlight.delete(job.id);
    }
    if (givenBack.signal.aborted) throw new DelayedError();
  }

  private async attempt(
    queue: QueueName,
    job: QueuedJob,
    bullJob: Job<BullJobData>,
    token: string | undefined,
    processor: JobProcessor,
    onFinalFailure: FinalFailureHandler,
  ): Promise<void> {
    const stalls = bullJob.stalledCounter;
    const outcome =
      stalls > this.options.maxStalledCount
        ? await settleFailure(
            job,
            new NonRetryableError(`the job's worker stopped while running it ${stalls} times`),
            onFinalFailure,
            this.options.logger,
          )
        : await runAttempt(job, processor, onFinalFailure, this.options.logger);
    switch (outcome.kind) {
      case 'completed':
        return;
      case 'retry':
        // Kept with the job for its dead letter; best effort (Redis refusing loses history, never the job).
        await settlesWithin(
          bullJob.updateData({
            ...bullJob.data,
            failures: appendFailure(job.failures, attemptFailure(job.attempt, outcome.error)),
          }),
          this.options.operationTimeoutMs,
        );
        throw outcome.error; // BullMQ delays it through `backoffStrategy` and counts the attempt
      case 'failed':
        throw unrecoverable(outcome.error);
      case 'deferred':
        // Not a failure (a breaker is open): moveToDelayed does not count an attempt. Should Redis refuse, the job
        // stays active and the stalled check requeues it, still without counting an attempt.
        await bullJob.moveToDelayed(Date.now() + outcome.delayMs, token).catch(() => undefined);
        throw new DelayedError();
      case 'redo': {
        // Same attempt again later: moveToDelayed does not count an attempt. Should Redis refuse, the job stays
        // active, its lock lapses and the stalled check requeues it — either way it is not lost.
        const delay = backoffDelay(this.options.policies[queue], job.attempt);
        await bullJob.moveToDelayed(Date.now() + delay, token).catch(() => undefined);
        throw new DelayedError();
      }
    }
  }

  /**
   * BullMQ keeps finished jobs (removeOnComplete/removeOnFail) and ignores a new job with the id of a kept one;
   * the port dedupes only waiting, delayed and active jobs, so a finished job with the id is removed first.
   * That is how a dead letter retried under its old id runs again.
   */
  private async forgetFinished(queue: Queue<BullJobData>, jobs: PublishedJob[]): Promise<void> {
    const [completed, failed] = [queue.toKey('completed'), queue.toKey('failed')];
    const pipeline = this.producer.pipeline();
    for (const { id } of jobs) pipeline.zscore(completed, id).zscore(failed, id);
    const replies = (await pipeline.exec()) ?? [];
    const finished = new Set<string>();
    replies.forEach(([error, score], i) => {
      if (error) throw error;
      if (score !== null) finished.add((jobs[i >> 1] as PublishedJob).id);
    });
    await Promise.all([...finished].map((id) => queue.remove(id)));
  }

  private connect(role: string, extra: { enableOfflineQueue?: boolean; maxRetriesPerRequest?: number | null }): Redis {
    const redis = new Redis(this.options.url, {
      maxRetriesPerRequest: null,
      connectionName: `${this.options.prefix}:${role}`,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      ...extra,
    });
    this.reportErrors(redis, `redis ${role} connection`);
    return redis;
  }

  /** Logs errors (an EventEmitter without an 'error' listener would crash the process), once per distinct message in a row. */
  private reportErrors(
    emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
    source: string,
  ): void {
    let last = '';
    emitter.on('error', (error) => {
      if (error.message === last) return;
      last = error.message;
      // Connection and lock errors (refused, reset, "Missing key for job" after a Redis restart) are operational:
      // one line naming the source and the cause; the stack, noise for these, only at debug level.
      const { code } = error as { code?: unknown };
      this.options.logger.warn(
        { source, error: error.message, ...(code === undefined ? {} : { code }) },
        `queue backend error (${source}): ${error.message}`,
      );
      this.options.logger.debug({ err: error, source }, 'queue backend error, with stack');
    });
  }

  /**
   * Runs a producer-side operation within `operationTimeoutMs`. Any failure is an UnavailableError (503 with
   * Retry-After over REST, isError over MCP) naming the Redis connection and why, in words an operator can act on
   * (never ioredis' "Stream isn't writeable and enableOfflineQueue options is false").
   */
  private async bounded<T>(what: string, run: () => Promise<T>): Promise<T> {
    const ms = this.options.operationTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      throw redisUnavailable(this.options.url, what, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Job states still to be done, and the page size `pending` reads them in. */
const PENDING_STATES: JobType[] = ['wait', 'prioritized', 'delayed', 'active', 'waiting-children'];
const PENDING_PAGE = 1000;

/** Seconds a client is asked to wait (Retry-After) while Redis is unreachable. */
const REDIS_RETRY_AFTER_SECONDS = 5;

/** `Redis at host:port is unavailable (why) during <what>`: never the URL's credentials. */
export function redisUnavailable(url: string, what: string, error: unknown): UnavailableError {
  if (error instanceof UnavailableError) return error;
  let where = 'Redis';
  try {
    where = `Redis at ${new URL(url).host}`;
  } catch {
    // not a URL: the bare name
  }
  const e = error as NodeJS.ErrnoException;
  const why = /Stream isn't writeable|Connection is closed/i.test(e?.message ?? '')
    ? 'connection not open'
    : /no answer within/.test(e?.message ?? '')
      ? `did not answer within ${e.message.replace(/^no answer within /, '')}`
      : (e?.code ?? e?.message ?? String(error));
  return new UnavailableError(`${where} is unavailable (${why}): ${what} failed`, REDIS_RETRY_AFTER_SECONDS);
}

interface InFlight {
  job: Job<BullJobData>;
  token: string | undefined;
  givenBack: AbortController;
}

/** Marks a job given back, then moves it to delayed, due now: moveToDelayed does not count an attempt. */
async function giveBack(flight: InFlight): Promise<void> {
  flight.givenBack.abort();
  await flight.job.moveToDelayed(Date.now(), flight.token);
}

function toQueuedJob(queue: QueueName, job: Job<BullJobData>): QueuedJob {
  return {
    id: job.id as string,
    name: job.name,
    key: job.data.key,
    tenantId: job.data.tenantId,
    payload: job.data.payload,
    ...(job.data.failures ? { failures: job.data.failures } : {}),
    ...(job.data.traceContext ? { traceContext: job.data.traceContext } : {}),
    queue,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    enqueuedAt: new Date(job.timestamp).toISOString(),
  };
}

/** BullMQ's marker for "do not retry"; keeps the original message and stack for the failed job in Redis. */
function unrecoverable(error: Error): UnrecoverableError {
  const marked = new UnrecoverableError(error.message);
  marked.stack = error.stack;
  return marked;
}

const settled = () => true;

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(settled, settled), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
