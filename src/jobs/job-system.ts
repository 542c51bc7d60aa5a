import type { Registry } from 'prom-client';
import type { Config } from '../config/config.schema.js';
import type { Logger } from '../core/logger.js';
import { createEmbeddingService } from '../embeddings/embedding.factory.js';
import type { EmbeddingService } from '../embeddings/embedding.service.js';
import { createJobMetrics, registerQueueGauges } from '../metrics/job.metrics.js';
import { createQueueBackend } from '../queue/create-queue-backend.js';
import type { QueueBackend, WorkerHandle } from '../queue/queue.port.js';
import type { Store } from '../repositories/ports.js';
import { BreakerRegistry } from '../resilience/breaker-registry.js';
import { PatternDetector } from '../services/pattern-detection/pattern-detector.js';
import { EmbeddingReconciler } from './embedding-reconciler.js';
import { detectPatternsHandler } from './handlers/detect-patterns.handler.js';
import { embedMessagesHandler } from './handlers/embed-messages.handler.js';
import { embedReflectionHandler } from './handlers/embed-reflection.handler.js';
import { JobRunner } from './job-runner.js';
import { OutboxRelay } from './outbox-relay.js';
import { PatternDetectionScheduler } from './pattern-detection-scheduler.js';

/** Everything that moves follow-up work: queue backend, outbox relay, job runner and what jobs call. */
export interface JobSystem {
  backend: QueueBackend;
  relay: OutboxRelay;
  reconciler: EmbeddingReconciler;
  embeddings: EmbeddingService;
  breakers: BreakerRegistry;
  /** Starts the outbox relay and the reconciler (every API and worker process runs them). */
  startRelay(): void;
  /** Starts consuming the configured queues in this process. */
  startWorkers(): WorkerHandle;
  /** Stops workers (bounded), the relay, the backend and the embedding service. */
  close(): Promise<void>;
}

export async function createJobSystem(
  config: Config,
  store: Store,
  registry: Registry,
  logger: Logger,
): Promise<JobSystem> {
  const backend = await createQueueBackend(config, logger);
  const breakers = new BreakerRegistry();
  breakers.onStateChange((dependency, state) => logger.warn({ dependency, state }, 'circuit breaker changed state'));
  const metrics = createJobMetrics(registry);
  const embeddings = createEmbeddingService(config.embedding, {
    breakers,
    onBatch: ({ model, texts, durationMs, error }) => {
      const labels = { model, result: error === undefined ? 'ok' : 'error' };
      metrics.embeddingDuration.observe(labels, durationMs / 1000);
      metrics.embeddingTexts.inc(labels, texts);
    },
  });
  const runner = new JobRunner(
    {
      'embed-messages': embedMessagesHandler(store, embeddings),
      'embed-reflection': embedReflectionHandler(store, embeddings),
      'detect-patterns': detectPatternsHandler(new PatternDetector(store, config.patterns, () => embeddings.model)),
    },
    { deadLetters: store.deadLetters, metrics, logger },
  );
  const relay = new OutboxRelay(store.outbox, backend, config.outbox, logger);
  const reconciler = new EmbeddingReconciler(
    store,
    () => embeddings.model,
    {
      intervalMs: config.embedding.reconcileIntervalMs,
      graceMs: config.embedding.reconcileGraceMs,
      lookbackMs: config.embedding.reconcileLookbackMs,
    },
    logger,
    () => relay.kick(),
  );
  // Periodic pattern detection runs where workers run (see startWorkers).
  const patternScheduler = new PatternDetectionScheduler(
    store,
    { intervalMs: config.patterns.detectEveryMinutes * 60_000 },
    logger,
    () => relay.kick(),
  );
  registerQueueGauges(registry, {
    counts: () => backend.counts() as unknown as Promise<Record<string, Record<string, number>>>,
    deadLettersOpen: () => store.deadLetters.openByQueue(),
    outboxBacklog: () => store.outbox.backlog(),
    breakerStates: () => breakers.states(),
  });

  const workers: WorkerHandle[] = [];
  return {
    backend,
    relay,
    reconciler,
    embeddings,
    breakers,
    startRelay() {
      relay.start();
      reconciler.start();
    },
    startWorkers() {
      const handle = runner.start(backend, { queues: config.workers.queues, concurrency: config.workers.concurrency });
      workers.push(handle);
      patternScheduler.start();
      return handle;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close(config.workers.shutdownTimeoutMs)));
      await patternScheduler.stop();
      await reconciler.stop();
      await relay.stop();
      await Promise.allSettled([backend.close(), embeddings.close()]);
      breakers.shutdown();
    },
  };
}
