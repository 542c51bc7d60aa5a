import type { AppEvents } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import { EMBED_MESSAGES_KEY_PREFIX, embedMessagesJobs, embedReflectionJob } from '../src/jobs/job-registry.js';
import type { QueueBackend } from '../src/jobs/queue.port.js';
import type { Store } from '../src/repositories/ports.js';
import { PeriodicTask } from './periodic-task.js';

export interface ReconcilerOptions {
  intervalMs: number;
  graceMs: number;
  lookbackMs: number;
  /** Messages, and reflections, queued per pass. (Default: 1000) */
  batchSize?: number;
}

/**
 * The primary store is the truth; the queue is not. Periodically queues (through the outbox) every
 * recent message and reflection that still has no vector of the active model, so jobs lost with a Redis
 * that kept nothing on disk are redone without anyone noticing. Dead-lettered ones are left to operators, and items
 * whose job is still in the outbox or on the queue (waiting behind a backlog, delayed, running) are not lost: they are
 * left alone, so a slow model is never handed the same work twice.
 */
export class EmbeddingReconciler {
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly store: Store,
    private readonly model: () => string,
    private readonly options: ReconcilerOptions,
    private readonly logger: Logger,
    private readonly events: Pick<AppEvents, 'emit'>,
    private readonly queue: Pick<QueueBackend, 'pending'>,
  ) {
    this.task = new PeriodicTask(options.intervalMs, () => undefined);
  }

  start(): void {
    this.task.start(() => this.pass(Date.now()));
  }

  /** One pass; returns how many messages and reflections were queued again. */
  runOnce(now = Date.now()): Promise<number> {
    return this.task.run(() => this.pass(now));
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Ids of the messages and reflections an embedding job still to be done carries. */
  private async queuedSubjects(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const { payload } of await this.queue.pending('embedding')) {
      if (Array.isArray(payload.messageIds)) for (const id of payload.messageIds) ids.add(String(id));
      if (typeof payload.reflectionId === 'string') ids.add(payload.reflectionId);
    }
    return ids;
  }

  private async pass(now: number): Promise<number> {
    const window = {
      from: new Date(now - this.options.lookbackMs).toISOString(),
      to: new Date(now - this.options.graceMs).toISOString(),
    };
    const limit = this.options.batchSize ?? 1000;
    const model = this.model();
    const missingMessages = await this.store.embeddings.messagesMissingVector(
      model,
      window,
      EMBED_MESSAGES_KEY_PREFIX,
      limit,
    );
    const missingReflections = await this.store.reflections.missingVector(model, window, 'embed-reflection', limit);
    if (missingMessages.length + missingReflections.length === 0) return 0;
    // Read after the store: a job the relay publishes meanwhile has left the outbox but is on the queue by now.
    const queued = await this.queuedSubjects();
    const messages = missingMessages.filter((m) => !queued.has(m.id));
    const reflections = missingReflections.filter((r) => !queued.has(r.id));
    if (messages.length + reflections.length === 0) return 0;
    const byTenant = new Map<string, string[]>();
    for (const m of messages) byTenant.set(m.tenantId, [...(byTenant.get(m.tenantId) ?? []), m.id]);
    await this.store.outbox.add([
      ...[...byTenant].flatMap(([tenantId, ids]) => embedMessagesJobs(tenantId, ids)),
      ...reflections.map((r) => embedReflectionJob(r.tenantId, r)),
    ]);
    this.logger.info(
      { messages: messages.length, reflections: reflections.length },
      'reconciler queued items still missing a vector',
    );
    this.events.emit('outbox:added');
    return messages.length + reflections.length;
  }
}
