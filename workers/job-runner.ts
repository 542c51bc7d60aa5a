import { uuidv7 } from '../src/core/ids.js';
import { withLogContext } from '../src/core/log-context.js';
import type { Logger } from '../src/core/logger.js';
import { appendFailure, attemptFailure } from '../src/jobs/attempt-history.js';
import { deferralOf, ItemsFailedError, isFinalFailure, NonRetryableError } from '../src/jobs/job-errors.js';
import { isJobName, JOBS, type JobDef, type JobName, type JobPayload } from '../src/jobs/job-registry.js';
import type { QueueBackend, QueuedJob, WorkerHandle, WorkerOptions } from '../src/jobs/queue.port.js';
import type { JobMetrics } from '../src/metrics/job.metrics.js';
import type { DeadLetterRepository } from '../src/repositories/ports.js';
import { contextOf, SpanKind, withSpan } from '../src/tracing/spans.js';

/**
 * `done`: the work was done now; `skipped`: nothing to do (already done, superseded); `gone`: the job's subject (a
 * message, reflection, session) was deleted before the job ran, so there is nothing to do ever: the job completes as
 * a no-op, logged and counted (result "gone"), never retried or dead-lettered.
 */
export type JobResult = 'done' | 'skipped' | 'gone';

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: QueuedJob) => Promise<JobResult>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export interface JobRunnerDeps {
  deadLetters: DeadLetterRepository;
  metrics: JobMetrics;
  logger: Logger;
}

/**
 * The one wrapper around every job: payload validation, dispatch, metrics, logs and dead letters.
 * Handlers stay small and idempotent; attempts and backoff belong to the queue backend.
 */
export class JobRunner {
  constructor(
    private readonly handlers: JobHandlers,
    private readonly deps: JobRunnerDeps,
  ) {
    for (const name of Object.keys(JOBS)) {
      if (typeof (handlers as Record<string, unknown>)[name] !== 'function') {
        throw new Error(`job '${name}' is registered but has no handler`);
      }
    }
  }

  /**
   * Consumes `options.queues`. Closing the handle logs how many jobs were running when it was asked to stop, how
   * long stopping took and how many were still running after it (given back to other workers), so a slow stop can
   * be told apart: a stop that waited for jobs says so, an idle one should take well under a second.
   */
  start(backend: QueueBackend, options: WorkerOptions): WorkerHandle {
    let running = 0;
    const handle = backend.work(
      options,
      async (job) => {
        running++;
        try {
          await this.process(job);
        } finally {
          running--;
        }
      },
      (job, error) => withLogContext({ jobId: job.id, tenant: job.tenantId }, () => this.deadLetter(job, error)),
    );
    return {
      close: async (timeoutMs) => {
        const runningAtStop = running;
        const started = performance.now();
        await handle.close(timeoutMs);
        this.deps.logger.info(
          { queues: options.queues, runningAtStop, stillRunning: running, ms: Math.round(performance.now() - started) },
          'stopped taking jobs',
        );
      },
    };
  }

  /**
   * Runs the job in a consumer span continuing the trace its producer started (the write that queued it), with the
   * job's id, tenant and session on every log line written meanwhile.
   */
  process(job: QueuedJob): Promise<void> {
    const sessionId = typeof job.payload.sessionId === 'string' ? job.payload.sessionId : undefined;
    return withLogContext({ jobId: job.id, tenant: job.tenantId, sessionId }, () =>
      withSpan(
        `job ${job.name}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.destination.name': job.queue,
            'session_buddy.job.key': job.key,
            'session_buddy.job.attempt': job.attempt,
          },
        },
        () => this.run(job),
        contextOf(job.traceContext),
      ),
    );
  }

  private async run(job: QueuedJob): Promise<void> {
    const labels = { queue: job.queue, job: job.name };
    const stopTimer = this.deps.metrics.jobDuration.startTimer(labels);
    try {
      const result = await this.dispatch(job);
      this.deps.metrics.jobOutcomes.inc({ ...labels, result: result === 'done' ? 'completed' : result });
      this.deps.logger.debug({ job: job.name, attempt: job.attempt, result }, 'job completed');
      if (result === 'gone') {
        this.deps.logger.info(
          { job: job.name, key: job.key, tenant: job.tenantId },
          'job subject deleted before the job ran; completed as a no-op',
        );
      }
    } catch (error) {
      if (job.givenBack?.aborted) {
        // The worker gave the job back at shutdown: not a failure, no attempt spent; another worker runs it.
        this.deps.metrics.jobOutcomes.inc({ ...labels, result: 'returned' });
        this.deps.logger.info({ job: job.name, key: job.key, attempt: job.attempt }, 'job given back at shutdown');
        throw error;
      }
      if (deferralOf(error) !== undefined) {
        // A dependency's breaker is open: the backend holds the job back without spending an attempt.
        this.deps.metrics.jobOutcomes.inc({ ...labels, result: 'deferred' });
        this.deps.logger.debug(
          { job: job.name, key: job.key, attempt: job.attempt, err: (error as Error).message },
          'job deferred',
        );
        throw error;
      }
      const final = isFinalFailure(error, job);
      this.deps.metrics.jobOutcomes.inc({ ...labels, result: final ? 'failed' : 'retry' });
      this.deps.logger.warn(
        { job: job.name, key: job.key, attempt: job.attempt, of: job.maxAttempts, err: (error as Error).message },
        final ? 'job failed for good' : 'job failed; will retry',
      );
      throw error;
    } finally {
      stopTimer();
    }
  }

  private async dispatch(job: QueuedJob): Promise<JobResult> {
    if (!isJobName(job.name)) throw new NonRetryableError(`unknown job '${job.name}'`);
    const parsed = JOBS[job.name].payload.safeParse(job.payload);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
      throw new NonRetryableError(`invalid payload for ${job.name}: ${why}`);
    }
    const handler = this.handlers[job.name] as JobHandler<JobName>;
    return handler(parsed.data, job);
  }

  /**
   * Records the final failure durably; if this throws, the backend keeps the job rather than lose it. A job that
   * carries many items (see JobDef.split) leaves one dead letter per item, keyed like the item's own job.
   */
  private async deadLetter(job: QueuedJob, error: Error): Promise<void> {
    const now = new Date();
    const failedAt = now.toISOString();
    const attemptHistory = appendFailure(job.failures, attemptFailure(job.attempt, error, now));
    for (const part of this.parts(job, error)) {
      await this.deps.deadLetters.record({
        id: uuidv7(),
        tenantId: job.tenantId,
        queue: job.queue,
        jobName: job.name,
        jobKey: part.key,
        payload: part.payload,
        error: error.message || String(error),
        stack: error.stack ?? null,
        attempts: job.attempt,
        attemptHistory,
        failedAt,
      });
    }
    this.deps.logger.error({ job: job.name, key: job.key, err: error.message }, 'job moved to dead letters');
  }

  /**
   * The job as its items, when its registry entry splits it and its payload is valid; else the job whole. When only
   * some items failed (ItemsFailedError), only those.
   */
  private parts(job: QueuedJob, error?: Error): Array<{ key: string; payload: Record<string, unknown> }> {
    const def: JobDef | undefined = isJobName(job.name) ? JOBS[job.name] : undefined;
    const parsed = def?.split ? def.payload.safeParse(job.payload) : undefined;
    if (!def?.split || !parsed?.success) return [{ key: job.key, payload: job.payload }];
    let parts = def.split(parsed.data as never);
    if (error instanceof ItemsFailedError) {
      // Only the items that failed: the others were done.
      const failed = new Set(error.items);
      const only = parts.filter((p) => failed.has(p.keyPart));
      if (only.length > 0) parts = only;
    }
    if (parts.length <= 1 && !(error instanceof ItemsFailedError)) return [{ key: job.key, payload: job.payload }];
    return parts.map((p) => ({ key: `${job.name}-${p.keyPart}`, payload: p.payload }));
  }
}
