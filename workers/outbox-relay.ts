import type { Logger } from '../src/core/logger.js';
import type { QueueBackend, QueueName } from '../src/jobs/queue.port.js';
import type { OutboxRepository, OutboxRow } from '../src/repositories/ports.js';
import { contextOf, SpanKind, startSpan, traceparentOf } from '../src/tracing/spans.js';

const MIN_GAP_MS = 10;

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  batchSize: number;
  /** Longest pause after publish failures (Redis down). (Default: 5000) */
  maxBackoffMs?: number;
}

/**
 * Publishes outbox rows to the queue. Runs in every API and worker process; relays never publish the
 * same row twice at once (the store hands rows out under SKIP LOCKED), and a row published twice
 * anyway is deduped by its deterministic job id. When the queue is down rows simply wait.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;
  private failures = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly backend: QueueBackend,
    private readonly options: OutboxRelayOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Publish now rather than at the next poll: called after a local write. */
  kick(): void {
    // While the queue is down, writes must not cut the backoff short.
    if (this.failures > 0) return;
    this.kicked = true;
    this.wake?.();
  }

  /** Publishes everything pending once; for tests and shutdown. Returns the rows published. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.outbox.drain(this.options.batchSize, (rows) => this.publish(rows));
      total += n;
      if (n < this.options.batchSize) return total;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let published = 0;
      try {
        published = await this.outbox.drain(this.options.batchSize, (rows) => this.publish(rows));
        if (this.failures > 0) this.logger.info({ after: this.failures }, 'outbox relay recovered');
        this.failures = 0;
      } catch (error) {
        this.failures++;
        // One line per doubling, not one per poll, while the queue is down.
        if ((this.failures & (this.failures - 1)) === 0) {
          this.logger.warn({ err: (error as Error).message, failures: this.failures }, 'outbox relay cannot publish');
        }
      }
      if (published >= this.options.batchSize && this.failures === 0) continue;
      if (this.failures > 0) {
        await this.sleep(Math.min(this.options.maxBackoffMs ?? 5000, this.options.pollIntervalMs * 2 ** this.failures));
        continue;
      }
      // Coalesce: under a stream of writes, one drain per gap publishes them all, rather than one per write.
      await new Promise((resolve) => setTimeout(resolve, Math.min(MIN_GAP_MS, this.options.pollIntervalMs)));
      if (!this.kicked) await this.sleep(this.options.pollIntervalMs);
    }
  }

  private async publish(rows: OutboxRow[]): Promise<void> {
    const byQueue = new Map<QueueName, OutboxRow[]>();
    for (const row of rows) {
      const list = byQueue.get(row.queue as QueueName) ?? [];
      list.push(row);
      byQueue.set(row.queue as QueueName, list);
    }
    for (const [queue, list] of byQueue) {
      await publishSpans(queue, list, (traceContexts) =>
        this.backend.publish(
          queue,
          list.map((r, i) => ({
            id: r.key,
            name: r.name,
            key: r.key,
            tenantId: r.tenantId,
            payload: r.payload,
            ...(traceContexts[i] ? { traceContext: traceContexts[i] } : {}),
          })),
        ),
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * One producer span per row, each continuing the trace of the write that queued it (rows of one batch come from many
 * requests), open while the batch is published; `publish` gets each row's traceparent for its job.
 */
async function publishSpans(
  queue: string,
  rows: OutboxRow[],
  publish: (traceContexts: Array<string | null>) => Promise<void>,
): Promise<void> {
  const spans = rows.map((r) =>
    r.traceContext
      ? startSpan(
          `publish ${r.name}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: { 'messaging.destination.name': queue, 'session_buddy.job.key': r.key },
          },
          contextOf(r.traceContext),
        )
      : undefined,
  );
  try {
    await publish(spans.map((s) => (s ? traceparentOf(s.context) : null)));
  } catch (error) {
    for (const s of spans) s?.fail(error);
    throw error;
  } finally {
    for (const s of spans) s?.span.end();
  }
}
