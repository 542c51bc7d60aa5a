import type { AppEvents } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import { EMBED_MESSAGES_KEY_PREFIX, embedMessagesJobs, embedReflectionJob } from '../src/jobs/job-registry.js';
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
 * that kept nothing on disk are redone without anyone noticing. Dead-lettered ones are left to operators.
 */
export class EmbeddingReconciler {
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly store: Store,
    private readonly model: () => string,
    private readonly options: ReconcilerOptions,
    private readonly logger: Logger,
    private readonly events: Pick<AppEvents, 'emit'>,
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

  private async pass(now: number): Promise<number> {
    const window = {
      from: new Date(now - this.options.lookbackMs).toISOString(),
      to: new Date(now - this.options.graceMs).toISOString(),
    };
    const limit = this.options.batchSize ?? 1000;
    const model = this.model();
    const messages = await this.store.embeddings.messagesMissingVector(model, window, EMBED_MESSAGES_KEY_PREFIX, limit);
    const reflections = await this.store.reflections.missingVector(model, window, 'embed-reflection', limit);
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
