import type { Hono } from 'hono';
import { Counter } from 'prom-client';
import { createJobSystem, type JobSystem } from '../workers/job-system.js';
import { AnalyticsStore, analyticsPath } from './analytics/analytics.store.js';
import {
  AnalyticsOwnership,
  type AnalyticsOwnershipOptions,
  OwnerRegistry,
  registerOwnerGauge,
} from './analytics/analytics-owner.js';
import type { QueryLimits } from './analytics/analytics-query.js';
import { AnalyticsSync } from './analytics/analytics-sync.js';
import type { Config } from './config/config.schema.js';
import { AppEvents } from './core/events.js';
import type { Logger } from './core/logger.js';
import { VERSION } from './core/version.js';
import { messageSchemas } from './domain/message.model.js';
import { reflectionSchemas } from './domain/reflection.model.js';
import { sessionSchemas } from './domain/session.model.js';
import { createEmbeddingService } from './embeddings/embedding.factory.js';
import { mountAdmin } from './http/admin/admin.routes.js';
import { builtInHosts } from './http/host-guard.js';
import { type AppEnv, createHttpApp } from './http/http-app.js';
import { restRoutes } from './http/rest-routes.js';
import type { RouteDef } from './http/route.js';
import { mountInternalAnalytics } from './http/routes/internal-analytics.routes.js';
import { detectPatternsJob, writeFollowUps } from './jobs/job-registry.js';
import type { QueueBackend } from './jobs/queue.port.js';
import { createAnalyticsMetrics } from './metrics/analytics.metrics.js';
import { registerDependencyGauge } from './metrics/dependency.metrics.js';
import { createJobMetrics, registerQueueGauges } from './metrics/job.metrics.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createSyncMetrics } from './metrics/sync.metrics.js';
import { registerWorkerGauge } from './metrics/worker.metrics.js';
import { buildCatalogue } from './operations/catalogue.js';
import type { Operation } from './operations/operation.js';
import { createQueueBackend } from './queue/create-queue-backend.js';
import type { Store, WriteFollowUps } from './repositories/ports.js';
import { BreakerRegistry, DEFAULT_BREAKER_OPTIONS } from './resilience/breaker-registry.js';
import { type AnalyticsReads, AnalyticsService } from './services/analytics.service.js';
import { RemoteAnalytics } from './services/analytics-remote.js';
import { AuthService } from './services/auth.service.js';
import { CodeGraphService } from './services/code-graph.service.js';
import { DeadLetterService } from './services/dead-letter.service.js';
import { ExportService } from './services/export.service.js';
import { type DependencyCheck, HealthService } from './services/health.service.js';
import { HistoryImportService } from './services/history-import.service.js';
import { LifecycleService } from './services/lifecycle.service.js';
import { MessageService } from './services/message.service.js';
import { PatternService } from './services/pattern.service.js';
import { PatternDetector } from './services/pattern-detection/pattern-detector.js';
import { QualityService } from './services/quality.service.js';
import { InMemoryRateLimiter, type RateLimiter } from './services/rate-limit.service.js';
import { RedisRateLimiter } from './services/rate-limit-redis.js';
import { ReflectionService } from './services/reflection.service.js';
import { ReflectionTransferService } from './services/reflection-transfer.service.js';
import { SearchService } from './services/search.service.js';
import type { Services } from './services/services.js';
import { SessionService } from './services/session.service.js';
import { createSnapshotService } from './services/snapshots/create-snapshot-service.js';
import { createLlmSummarizer } from './services/summary/llm-summarizer.js';
import { SummaryService } from './services/summary.service.js';
import { AkoshaClient } from './services/sync/akosha.client.js';
import { AKOSHA_TARGET, AkoshaSync } from './services/sync/akosha-sync.js';
import { SyncService } from './services/sync.service.js';

export interface Application {
  config: Config;
  logger: Logger;
  store: Store;
  services: Services;
  metrics: Metrics;
  http: Hono<AppEnv>;
  routes: RouteDef[];
  /** The operation catalogue every front door is made from. */
  operations: Operation[];
  jobs: JobSystem;
  /**
   * The DuckDB analytics store (opened on first use: `await analytics.store.ready()`, then `analytics.store.instance`)
   * and the sync that feeds it from the primary store.
   */
  analytics: {
    store: AnalyticsStore;
    sync: AnalyticsSync;
    /**
     * Standard mode, in a process that consumes the `analytics` queue: whether it holds the DuckDB file (owner) or
     * waits for it (standby). The process calls `advertise(url)` once its listener runs.
     */
    ownership?: AnalyticsOwnership;
  };
  /** Closes every pool and connection this application opened. Safe to call twice. */
  close(): Promise<void>;
}

export type { Services };

export interface ApplicationOptions {
  /** Collect process metrics (off in tests that build many apps). (Default: true) */
  defaultMetrics?: boolean;
  /**
   * `api`: REST (+MCP), outbox relay, and workers in lite mode or with `workers.inProcess`;
   * `worker`: relay and workers, health and metrics only; `cli`: neither relay nor workers. (Default: api)
   */
  role?: 'api' | 'worker' | 'cli';
}

function breakerChecks(breakers: BreakerRegistry): DependencyCheck[] {
  return Object.keys(breakers.states()).map((dependency) => ({
    name: `${dependency} (circuit)`,
    critical: false,
    check: async () => {
      const state = breakers.states()[dependency] ?? 'closed';
      if (state !== 'closed') throw new Error(`circuit breaker ${state}`);
    },
  }));
}

/**
 * The composition root, for every role: builds the store, queue backend, breakers, embedding service, pattern
 * detector, services and job side once each, from config, and closes them in reverse order. Nothing else reaches
 * for globals, and nothing below it imports it.
 */
export async function createApplication(
  config: Config,
  logger: Logger,
  options: ApplicationOptions = {},
): Promise<Application> {
  const role = options.role ?? 'api';
  // First up and last down: spans of everything else are exported at close. The SDK is imported only when enabled.
  const tracing = config.tracing.enabled
    ? (await import('./tracing/tracing-sdk.js')).startTracing(config.tracing, { role, logger })
    : undefined;
  let store: Store;
  try {
    store = await createStore(config, writeFollowUps);
  } catch (error) {
    await tracing?.shutdown();
    throw error;
  }
  const closers: Array<() => unknown> = [() => tracing?.shutdown(), () => store.close()];
  // One at a time, newest first: workers finish their jobs before the backend and the store go away.
  const closeAll = async () => {
    for (const fn of closers.reverse()) {
      try {
        await fn();
      } catch {
        // Close the rest anyway.
      }
    }
  };
  try {
    // SQLite migrates itself when opened; PostgreSQL is migrated by `session-buddy migrate`.
    if (config.database.migrateOnStart || store.dialect === 'sqlite') {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    } else {
      await store.assertMigrated();
    }

    const metrics = createMetrics({ defaultMetrics: options.defaultMetrics });
    const jobMetrics = createJobMetrics(metrics.registry);
    const events = new AppEvents();
    const backend = await createQueueBackend(config, logger);
    closers.push(() => backend.close());
    const breakers = new BreakerRegistry();
    breakers.onStateChange((dependency, state) => logger.warn({ dependency, state }, 'circuit breaker changed state'));
    closers.push(() => breakers.shutdown());
    const embeddings = createEmbeddingService(config.embedding, {
      breakers,
      onBatch: ({ model, texts, durationMs, error }) => {
        const labels = { model, result: error === undefined ? 'ok' : 'error' };
        jobMetrics.embeddingDuration.observe(labels, durationMs / 1000);
        jobMetrics.embeddingTexts.inc(labels, texts);
      },
    });
    closers.push(() => embeddings.close());
    const detector = new PatternDetector(store, config.patterns, () => embeddings.model);
    // DuckDB opens on first use, so a process that never reads or syncs analytics never locks its file.
    const analyticsStore = new AnalyticsStore(analyticsPath(config), {
      reopenAfterWrites: config.analytics.reopenAfterWrites,
    });
    closers.push(() => analyticsStore.close());
    const analyticsMetrics = createAnalyticsMetrics(metrics.registry, async () =>
      analyticsStore.isOpen ? analyticsStore.freshness() : undefined,
    );
    const analyticsSync = new AnalyticsSync(
      analyticsStore,
      store.analyticsSource,
      {
        batchSize: config.analytics.syncBatchSize,
        overlapMs: config.analytics.syncOverlapMs,
        reconcileBatchSize: config.analytics.reconcileBatchSize,
      },
      { onRows: (fact, op, rows) => analyticsMetrics.syncRows.inc({ fact, op }, rows) },
    );
    registerQueueGauges(metrics.registry, {
      counts: () => backend.counts() as unknown as Promise<Record<string, Record<string, number>>>,
      deadLettersOpen: () => store.deadLetters.openByQueue(),
      outboxBacklog: () => store.outbox.backlog(),
      breakerStates: () => breakers.states(),
      role,
    });

    const runsWorkers = role === 'worker' || (role === 'api' && (config.mode === 'lite' || config.workers.inProcess));
    const analyticsSetup = await setUpAnalytics(config, role, runsWorkers, backend, breakers, logger);
    closers.push(() => analyticsSetup.registry?.close());
    registerOwnerGauge(metrics.registry, analyticsSetup.isOwner);
    registerWorkerGauge(metrics.registry, (queue) =>
      queue === 'analytics' ? analyticsSetup.isOwner() : runsWorkers && config.workers.queues.includes(queue),
    );

    const checks: DependencyCheck[] = [
      { name: store.dialect === 'postgres' ? 'postgresql' : 'sqlite', check: () => store.ping() },
    ];
    // Redis is critical for a worker (it can take no job without it), not for the API: writes go on through the outbox
    // and are published when Redis is back, so an outage must not take every API replica out (docs/faults.md).
    if (backend.kind === 'bullmq')
      checks.push({ name: 'redis', critical: role === 'worker', check: () => backend.ping() });
    // Breakers are reported, not required: writes keep working while a provider is down.
    checks.push(...breakerChecks(breakers));
    if (analyticsSetup.check) checks.push(analyticsSetup.check);

    const sessions = new SessionService(store, sessionSchemas(config.limits).metadata);
    const messages = new MessageService(store, { events });
    const deadLetters = new DeadLetterService(store, backend);
    const reflections = new ReflectionService(store, embeddings, { events });
    const search = new SearchService(store, embeddings);
    const exports = new ExportService(sessions, messages, { messageContentChars: config.limits.messageContentChars });
    const health = new HealthService({ name: config.serverName, version: VERSION, mode: config.mode }, checks);
    registerDependencyGauge(metrics.registry, () => health.readiness());
    const auth = new AuthService(config.auth);
    const analyticsService = new AnalyticsService(analyticsStore, {
      limits: queryLimits(config),
      exports: {
        dir: config.analytics.exportDir,
        maxRows: config.analytics.exportMaxRows,
        timeoutMs: config.analytics.exportTimeoutMs,
      },
    });
    const patterns = new PatternService(store, detector, {
      detectionJob: (tenantId, project, now) =>
        detectPatternsJob(tenantId, project, now, config.patterns.triggerWindowSeconds * 1000),
      events,
    });
    const summaryLlm = createLlmSummarizer(config.summaries.llm, breakers);
    if (summaryLlm) closers.push(() => summaryLlm.close());
    const transfer = new ReflectionTransferService(reflections, reflectionSchemas(config.limits).create, {
      pageSize: config.limits.pageSize,
      maxItems: config.imports.maxItems,
      maxObservationsPerEntity: config.imports.maxObservationsPerEntity,
      logger,
    });
    const history = new HistoryImportService(store.sessions, messages, messageSchemas(config.limits).one, {
      batchSize: config.limits.batchMessages,
      messageChars: config.limits.messageContentChars,
      logger,
    });
    const summaries = new SummaryService(sessions, messages, store.summaries, { llm: summaryLlm });
    const akosha = createAkoshaSync(config, store, breakers, metrics);
    const snapshots = createSnapshotService(config, store, breakers);
    closers.push(() => snapshots.close());
    const services: Services = {
      sessions,
      messages,
      exports,
      health,
      auth,
      deadLetters,
      reflections,
      search,
      transfer,
      history,
      patterns,
      summaries,
      analytics: analyticsSetup.remote?.(auth) ?? analyticsService,
      lifecycle: new LifecycleService(store.lifecycle, { sessions, messages, summaries, search, logger }),
      codeGraphs: new CodeGraphService(store.codeGraphs),
      quality: new QualityService(store.quality, sessions),
      sync: new SyncService(akosha, store.outbox, events, {
        enabled: config.sync.akoshaEnabled,
        url: config.sync.akoshaUrl,
      }),
      rateLimits: await createRateLimiter(config, metrics, logger),
      snapshots: snapshots.service,
    };
    closers.push(() => services.rateLimits.close());

    const operations = buildCatalogue(config.limits, queryLimits(config));
    const routes = role === 'worker' ? [] : restRoutes(operations, services, logger);
    // MCP over HTTP only when enabled, imported on demand so REST-only start-up does not load the SDK.
    const mcp = config.mcp.enabled ? await import('./mcp/mcp-http.js') : undefined;
    const http = createHttpApp({
      routes,
      auth,
      health,
      metrics,
      logger,
      bodyLimitBytes: config.server.bodyLimitBytes,
      ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
      allowlist: {
        allowedHosts: [
          ...builtInHosts(config.server.host, config.analytics.advertiseUrl),
          ...config.server.allowedHosts,
          ...config.mcp.allowedHosts,
        ],
        allowedOrigins: [...config.server.allowedOrigins, ...config.mcp.allowedOrigins],
      },
      info: { title: config.serverName, version: VERSION },
      extend: (app) => {
        if (role !== 'worker')
          mcp?.mountMcpHttp(app, {
            services,
            tools: mcp.mcpTools(operations),
            info: { name: config.serverName, version: VERSION },
            logger,
            mcp: config.mcp,
            bodyLimitBytes: config.server.bodyLimitBytes,
          });
        if (role !== 'worker') {
          const analytics = { reads: services.analytics, defaultTenant: config.auth.defaultTenant };
          mountAdmin(app, { admin: config.admin, deadLetters, backend, logger, analytics, auth });
        }
        if (analyticsSetup.owner) {
          const { isOwner } = analyticsSetup;
          const bodyLimitBytes = config.server.bodyLimitBytes;
          mountInternalAnalytics(app as unknown as Hono, {
            analytics: analyticsService,
            auth,
            isOwner,
            bodyLimitBytes,
          });
        }
      },
    });

    // The job side last: its relay and workers start only once everything they use is built.
    const jobs = createJobSystem({
      config,
      store,
      backend,
      embeddings,
      breakers,
      detector,
      analytics: analyticsSync,
      summaries: services.summaries,
      akosha,
      snapshots: snapshots.service,
      metrics: jobMetrics,
      events,
      logger,
    });
    closers.push(() => jobs.close());
    if (role !== 'cli') jobs.startRelay();
    let ownership: AnalyticsOwnership | undefined;
    if (runsWorkers && analyticsSetup.owner) {
      // Only the process holding the DuckDB file consumes `analytics`; the others wait as standbys.
      const others = config.workers.queues.filter((queue) => queue !== 'analytics');
      if (others.length > 0) jobs.startWorkers(others);
      ownership = analyticsSetup.owner({
        acquire: () => analyticsStore.ready(),
        onAcquired: () => jobs.startWorkers(['analytics']),
      });
      closers.push(() => ownership?.close());
      await ownership.start();
    } else if (runsWorkers) {
      jobs.startWorkers();
    }

    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= closeAll();
      return closed;
    };
    const analytics = { store: analyticsStore, sync: analyticsSync, ownership };
    return { config, logger, store, services, metrics, http, routes, operations, jobs, analytics, close };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The Akosha sync: an MCP client per run, the `akosha` breaker (made on first push), items-pushed and lag metrics
 * (lag read at scrape time, only when the sync is on).
 */
function createAkoshaSync(config: Config, store: Store, breakers: BreakerRegistry, metrics: Metrics): AkoshaSync {
  const { akoshaEnabled, akoshaUrl, akoshaToken, breaker, batchSize, batchMaxBytes } = config.sync;
  let sync: AkoshaSync | undefined;
  const syncMetrics = createSyncMetrics(metrics.registry, async () => (akoshaEnabled ? sync?.status() : undefined));
  sync = new AkoshaSync(
    store.sync,
    () =>
      new AkoshaClient({
        url: akoshaUrl,
        token: akoshaToken,
        timeoutMs: breaker.timeoutMs,
        clientInfo: { name: config.serverName, version: VERSION },
      }),
    () => breakers.get(AKOSHA_TARGET, breaker),
    { batchSize, batchMaxBytes },
    { onPushed: (kind, items) => syncMetrics.itemsPushed.inc({ target: AKOSHA_TARGET, kind }, items) },
  );
  return sync;
}

/**
 * The rate limiter: buckets in Redis shared by every replica in standard mode (`rateLimit.shared`, default on), in
 * this process's memory otherwise. The Redis one fails open and counts each call it let through.
 */
async function createRateLimiter(config: Config, metrics: Metrics, logger: Logger): Promise<RateLimiter> {
  if (!config.rateLimit.enabled || config.mode === 'lite' || config.rateLimit.shared === false)
    return new InMemoryRateLimiter(config.rateLimit);
  const failOpen = new Counter({
    name: 'session_buddy_rate_limit_fail_open_total',
    help: 'Calls let through without a rate-limit check because Redis did not answer',
    registers: [metrics.registry],
  });
  return RedisRateLimiter.connect(config.rateLimit, {
    url: config.redis.url,
    prefix: config.redis.prefix,
    logger,
    onFailOpen: () => failOpen.inc(),
  });
}

/** The configured caps of `query_analytics`. */
function queryLimits(config: Config): QueryLimits {
  const { queryMaxRows, queryMaxBytes, queryTimeoutMs } = config.analytics;
  return { maxRows: queryMaxRows, maxBytes: queryMaxBytes, timeoutMs: queryTimeoutMs };
}

interface AnalyticsSetup {
  /** Redis connection of the owner registration (bullmq backend). */
  registry?: OwnerRegistry;
  /** Set when this process competes for the DuckDB file (consumes `analytics` on the bullmq backend). */
  owner?: (hooks: Pick<AnalyticsOwnershipOptions, 'acquire' | 'onAcquired'>) => AnalyticsOwnership;
  /** Set when this process reads analytics through the owner (bullmq backend, does not consume `analytics`). */
  remote?: (auth: AuthService) => AnalyticsReads;
  isOwner: () => boolean;
  /** Reported in /readyz (not critical): this process's analytics role. */
  check?: DependencyCheck;
}

/**
 * Where this process's analytics reads run. Lite (in-process queue), or no `analytics` queue here without Redis:
 * the local AnalyticsService. Standard, consuming `analytics`: the local service once this process owns the DuckDB
 * file (see AnalyticsOwnership), serving the others' reads too. Standard otherwise: RemoteAnalytics, through the
 * owner registered in Redis.
 */
async function setUpAnalytics(
  config: Config,
  role: ApplicationOptions['role'],
  runsWorkers: boolean,
  backend: QueueBackend,
  breakers: BreakerRegistry,
  logger: Logger,
): Promise<AnalyticsSetup> {
  const consumes = runsWorkers && config.workers.queues.includes('analytics');
  if (backend.kind !== 'bullmq' || (role === 'worker' && !consumes)) return { isOwner: () => consumes };
  const registry = await OwnerRegistry.connect(config.redis.url, config.redis.prefix);
  if (consumes) {
    let ownership: AnalyticsOwnership | undefined;
    return {
      registry,
      owner: (hooks) => {
        ownership = new AnalyticsOwnership({ ...hooks, registry, retryMs: config.analytics.ownerRetryMs, logger });
        return ownership;
      },
      isOwner: () => ownership?.role === 'owner',
      check: {
        name: 'analytics owner',
        critical: false,
        check: async () => {
          if (ownership?.role !== 'owner') throw new Error(`standby: ${ownership?.standbyReason || 'starting'}`);
        },
      },
    };
  }
  const timeoutMs = config.analytics.remoteTimeoutMs ?? config.analytics.queryTimeoutMs + 5000;
  const breaker = breakers.get('analytics', { ...DEFAULT_BREAKER_OPTIONS, timeoutMs: timeoutMs + 1000 });
  let remote: RemoteAnalytics | undefined;
  return {
    registry,
    remote: (auth) => {
      remote = new RemoteAnalytics({ registry, breaker, auth, timeoutMs });
      return remote.reads();
    },
    isOwner: () => false,
    check: { name: 'analytics owner (remote)', critical: false, check: async () => remote?.checkOwner() },
  };
}

/**
 * Opens the configured store; drivers are imported on demand so lite start-up stays small. `followUps`: the outbox
 * rows writes queue (the application passes the jobs module's; `migrate` needs none). (Default: none)
 */
export async function createStore(config: Config, followUps?: WriteFollowUps): Promise<Store> {
  if (config.database.driver === 'postgres') {
    const { PostgresStore } = await import('./repositories/postgres/postgres.store.js');
    const { url, poolMax, connectTimeoutMs, statementTimeoutMs, retryAfterSeconds } = config.database;
    return new PostgresStore({
      url: url as string,
      poolMax,
      followUps,
      connectTimeoutMs,
      statementTimeoutMs,
      retryAfterSeconds,
    });
  }
  const { SqliteStore } = await import('./repositories/sqlite/sqlite.store.js');
  return new SqliteStore({ path: config.database.sqlitePath, followUps });
}
