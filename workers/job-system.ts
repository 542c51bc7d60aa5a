import type { AnalyticsSync } from '../src/analytics/analytics-sync.js';
import type { Config } from '../src/config/config.schema.js';
import type { AppEvents } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import type { EmbeddingService } from '../src/embeddings/embedding.service.js';
import { akoshaSyncJob, analyticsSyncJob, createSnapshotJob } from '../src/jobs/job-registry.js';
import type { QueueBackend, QueueName, WorkerHandle } from '../src/jobs/queue.port.js';
import type { JobMetrics } from '../src/metrics/job.metrics.js';
import type { Store } from '../src/repositories/ports.js';
import type { BreakerRegistry } from '../src/resilience/breaker-registry.js';
import type { PatternDetector } from '../src/services/pattern-detection/pattern-detector.js';
import type { SnapshotService } from '../src/services/snapshots/snapshot.service.js';
import type { SummaryService } from '../src/services/summary.service.js';
import type { AkoshaSync } from '../src/services/sync/akosha-sync.js';
import { EmbeddingReconciler } from './embedding-reconciler.js';
import { akoshaSyncHandler } from './handlers/akosha-sync.handler.js';
import { analyticsSyncHandler } from './handlers/analytics-sync.handler.js';
import { createSnapshotHandler } from './handlers/create-snapshot.handler.js';
import { detectPatternsHandler } from './handlers/detect-patterns.handler.js';
import { embedMessagesHandler } from './handlers/embed-messages.handler.js';
import { embedReflectionHandler } from './handlers/embed-reflection.handler.js';
import { summarizeSessionHandler } from './handlers/summarize-session.handler.js';
import { JobRunner } from './job-runner.js';
import { OutboxRelay } from './outbox-relay.js';
import { PatternDetectionScheduler } from './pattern-detection-scheduler.js';
import { PeriodicJobScheduler } from './periodic-job-scheduler.js';

/** What the job side is given; the composition root (src/app.ts) builds each of these once and closes them. */
export interface JobSystemDeps {
  config: Config;
  store: Store;
  backend: QueueBackend;
  embeddings: EmbeddingService;
  breakers: BreakerRegistry;
  detector: PatternDetector;
  /** The DuckDB analytics sync the `analytics-sync` job runs. */
  analytics: AnalyticsSync;
  /** The stored session summaries the `summarize-session` job refreshes. */
  summaries: SummaryService;
  /** The Akosha sync the `akosha-sync` job runs (when `sync.akoshaEnabled`). */
  akosha: AkoshaSync;
  /** The snapshots the `create-snapshot` job writes. */
  snapshots: SnapshotService;
  metrics: JobMetrics;
  events: AppEvents;
  logger: Logger;
}

/**
 * What moves follow-up work: outbox relay, reconciler, pattern, analytics and Akosha schedulers and job runner, over
 * the given backend.
 */
export interface JobSystem {
  backend: QueueBackend;
  relay: OutboxRelay;
  reconciler: EmbeddingReconciler;
  embeddings: EmbeddingService;
  breakers: BreakerRegistry;
  /** Starts the outbox relay and the reconciler (every API and worker process runs them). */
  startRelay(): void;
  /**
   * Starts consuming `queues` (default: the configured ones) in this process, and the periodic pattern detection,
   * analytics sync and Akosha sync (once, however often it is called).
   */
  startWorkers(queues?: readonly QueueName[]): WorkerHandle;
  /** Stops workers (bounded by `workers.shutdownTimeoutMs`), the schedulers and the relay; not what it was given. */
  close(): Promise<void>;
}

export function createJobSystem(deps: JobSystemDeps): JobSystem {
  const { config, store, backend, embeddings, events, logger } = deps;
  const runner = new JobRunner(
    {
      'embed-messages': embedMessagesHandler(store, embeddings),
      'embed-reflection': embedReflectionHandler(store, embeddings),
      'detect-patterns': detectPatternsHandler(deps.detector),
      'analytics-sync': analyticsSyncHandler(deps.analytics),
      'summarize-session': summarizeSessionHandler(deps.summaries),
      'akosha-sync': akoshaSyncHandler(deps.akosha, config.sync.akoshaEnabled),
      'create-snapshot': createSnapshotHandler(deps.snapshots),
    },
    { deadLetters: store.deadLetters, metrics: deps.metrics, logger },
  );
  const relay = new OutboxRelay(store.outbox, backend, config.outbox, logger);
  const kick = () => relay.kick();
  events.on('outbox:added', kick);
  const reconciler = new EmbeddingReconciler(
    store,
    () => embeddings.model,
    {
      intervalMs: config.embedding.reconcileIntervalMs,
      graceMs: config.embedding.reconcileGraceMs,
      lookbackMs: config.embedding.reconcileLookbackMs,
    },
    logger,
    events,
    backend,
  );
  // Periodic pattern detection runs where workers run (see startWorkers).
  const patternScheduler = new PatternDetectionScheduler(
    store,
    { intervalMs: config.patterns.detectEveryMinutes * 60_000 },
    logger,
    events,
  );
  // The periodic analytics catch-up, too, runs where workers run.
  const tenantId = config.auth.defaultTenant;
  const analyticsScheduler = new PeriodicJobScheduler(
    store.outbox,
    {
      intervalMs: config.analytics.syncIntervalMs,
      job: (now) => analyticsSyncJob(tenantId, now, config.analytics.syncIntervalMs),
      what: 'analytics sync',
    },
    logger,
    () => events.emit('outbox:added'),
  );
  // The periodic Akosha sync, when it is on, runs where workers run too.
  const akoshaIntervalMs = config.sync.akoshaEnabled ? config.sync.syncInterval * 1000 : 0;
  const akoshaScheduler = new PeriodicJobScheduler(
    store.outbox,
    { intervalMs: akoshaIntervalMs, job: (now) => akoshaSyncJob(tenantId, now, akoshaIntervalMs), what: 'Akosha sync' },
    logger,
    () => events.emit('outbox:added'),
  );

  // Periodic snapshots, when enabled, are queued where the `sync` queue is worked.
  const snapshotIntervalMs = config.sync.cloudEnabled ? config.sync.intervalMinutes * 60_000 : 0;
  const snapshotScheduler = new PeriodicJobScheduler(
    store.outbox,
    {
      intervalMs: snapshotIntervalMs,
      job: (now) => createSnapshotJob(tenantId, now, snapshotIntervalMs),
      what: 'snapshot',
      runAtStart: true,
    },
    logger,
    () => events.emit('outbox:added'),
  );

  const workers: WorkerHandle[] = [];
  return {
    backend,
    relay,
    reconciler,
    embeddings,
    breakers: deps.breakers,
    startRelay() {
      relay.start();
      reconciler.start();
    },
    startWorkers(queues = config.workers.queues) {
      const handle = runner.start(backend, { queues, concurrency: config.workers.concurrency });
      workers.push(handle);
      patternScheduler.start();
      analyticsScheduler.start();
      akoshaScheduler.start();
      if (queues.includes('sync')) snapshotScheduler.start();
      return handle;
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close(config.workers.shutdownTimeoutMs)));
      await patternScheduler.stop();
      await analyticsScheduler.stop();
      await akoshaScheduler.stop();
      await snapshotScheduler.stop();
      await reconciler.stop();
      await relay.stop();
      events.off('outbox:added', kick);
    },
  };
}
