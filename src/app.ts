import type { Hono } from 'hono';
import type { Config } from './config/config.schema.js';
import type { Logger } from './core/logger.js';
import { VERSION } from './core/version.js';
import { patternSchemas } from './domain/pattern.model.js';
import { reflectionSchemas } from './domain/reflection.model.js';
import { sessionSchemas } from './domain/session.model.js';
import { mountAdmin } from './http/admin/admin.routes.js';
import { type AppEnv, createHttpApp } from './http/http-app.js';
import type { RouteDef } from './http/route.js';
import { deadLetterRoutes } from './http/routes/dead-letter.routes.js';
import { restRoutes } from './http/rest-routes.js';
import { buildCatalogue } from './operations/catalogue.js';
import type { Operation } from './operations/operation.js';
import { patternRoutes } from './http/routes/pattern.routes.js';
import { reflectionRoutes } from './http/routes/reflection.routes.js';
import { reflectionTransferRoutes } from './http/routes/reflection-transfer.routes.js';
import { searchRoutes } from './http/routes/search.routes.js';
import { detectPatternsJob } from './jobs/handlers/detect-patterns.handler.js';
import { embedReflectionFollowUps } from './jobs/handlers/embed-reflection.handler.js';
import { embedMessagesJobs } from './jobs/job-registry.js';
import { createJobSystem, type JobSystem } from './jobs/job-system.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Store } from './repositories/ports.js';
import { AuthService } from './services/auth.service.js';
import { DeadLetterService } from './services/dead-letter.service.js';
import { ExportService } from './services/export.service.js';
import { type DependencyCheck, HealthService } from './services/health.service.js';
import { MessageService } from './services/message.service.js';
import { PatternService } from './services/pattern.service.js';
import { PatternDetector } from './services/pattern-detection/pattern-detector.js';
import { ReflectionService } from './services/reflection.service.js';
import { ReflectionTransferService } from './services/reflection-transfer.service.js';
import { SearchService } from './services/search.service.js';
import { SessionService } from './services/session.service.js';
import type { Services } from './services/services.js';


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

function breakerChecks(jobs: JobSystem): DependencyCheck[] {
  return Object.keys(jobs.breakers.states()).map((dependency) => ({
    name: `${dependency} (circuit)`,
    critical: false,
    check: async () => {
      const state = jobs.breakers.states()[dependency] ?? 'closed';
      if (state !== 'closed') throw new Error(`circuit breaker ${state}`);
    },
  }));
}

/** The composition root: builds every component from config. Nothing else reaches for globals. */
export async function createApplication(
  config: Config,
  logger: Logger,
  options: ApplicationOptions = {},
): Promise<Application> {
  const store = await createStore(config);
  const closers: Array<() => Promise<unknown>> = [() => store.close()];
  try {
    // SQLite migrates itself when opened; PostgreSQL is migrated by `session-buddy migrate`.
    if (config.database.migrateOnStart || store.dialect === 'sqlite') {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    } else {
      await store.assertMigrated();
    }

    const metrics = createMetrics({ defaultMetrics: options.defaultMetrics });
    const jobs = await createJobSystem(config, store, metrics.registry, logger);
    closers.push(() => jobs.close());
    const role = options.role ?? 'api';
    if (role !== 'cli') jobs.startRelay();
    if (role === 'worker' || (role === 'api' && (config.mode === 'lite' || config.workers.inProcess))) {
      jobs.startWorkers();
    }

    const checks: DependencyCheck[] = [
      { name: store.dialect === 'postgres' ? 'postgresql' : 'sqlite', check: () => store.ping() },
    ];
    if (jobs.backend.kind === 'bullmq') checks.push({ name: 'redis', check: () => jobs.backend.ping() });
    // Breakers are reported, not required: writes keep working while a provider is down.
    checks.push(...breakerChecks(jobs));

    const sessions = new SessionService(store, sessionSchemas(config.limits).metadata);
    const messages = new MessageService(store, undefined, {
      // One write is one tenant's: its messages are embedded by one job per EMBED_MESSAGES_MAX of them.
      followUps: (created) =>
        created[0]
          ? embedMessagesJobs(
              created[0].tenantId,
              created.map((m) => m.id),
            )
          : [],
      afterWrite: () => jobs.relay.kick(),
    });
    const deadLetters = new DeadLetterService(store, jobs.backend);
    const reflections = new ReflectionService(store, reflectionSchemas(config.limits), jobs.embeddings, {
      followUps: embedReflectionFollowUps,
      afterWrite: () => jobs.relay.kick(),
    });
    const search = new SearchService(store, jobs.embeddings);
    const exports = new ExportService(sessions, messages);
    const health = new HealthService({ name: config.serverName, version: VERSION, mode: config.mode }, checks);
    const auth = new AuthService(config.auth);
    const patterns = new PatternService(
      store,
      patternSchemas(config.limits),
      new PatternDetector(store, config.patterns, () => jobs.embeddings.model),
      {
        detectionJob: (tenantId, project, now) =>
          detectPatternsJob(tenantId, project, now, config.patterns.triggerWindowSeconds * 1000),
        afterEnqueue: () => jobs.relay.kick(),
      },
    );
    const transfer = new ReflectionTransferService(reflections, { pageSize: config.limits.pageSize });
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
      patterns,
    };

    const operations = buildCatalogue(config.limits);
    const routes =
      role === 'worker'
        ? []
        : [
            ...restRoutes(operations, services),
            ...deadLetterRoutes(deadLetters),
            // Before reflectionRoutes: GET /v1/reflections/:id would take `export` for an id.
            ...reflectionTransferRoutes(transfer),
            ...reflectionRoutes(reflections, search),
            ...searchRoutes(search),
            ...patternRoutes(patterns),
          ];
    // MCP over HTTP only when enabled, imported on demand so REST-only start-up does not load the SDK.
    const mcp = config.mcp.enabled ? await import('./mcp/mcp-http.js') : undefined;
    const http = createHttpApp({
      routes,
      auth,
      health,
      metrics,
      logger,
      bodyLimitBytes: config.server.bodyLimitBytes,
      info: { title: config.serverName, version: VERSION },
      extend: (app) => {
        mcp?.mountMcpHttp(app, {
          services,
          tools: mcp.mcpTools(operations),
          info: { name: config.serverName, version: VERSION },
          logger,
          mcp: config.mcp,
          bodyLimitBytes: config.server.bodyLimitBytes,
        });
        if (role !== 'worker') mountAdmin(app, { admin: config.admin, deadLetters, backend: jobs.backend, logger });
      },
    });

    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= Promise.allSettled(closers.reverse().map((fn) => fn())).then(() => undefined);
      return closed;
    };
    return { config, logger, store, services, metrics, http, routes, operations, jobs, close };
  } catch (error) {
    await Promise.allSettled(closers.map((fn) => fn()));
    throw error;
  }
}

/** Opens the configured store; drivers are imported on demand so lite start-up stays small. */
export async function createStore(config: Config): Promise<Store> {
  if (config.database.driver === 'postgres') {
    const { PostgresStore } = await import('./repositories/postgres/postgres.store.js');
    return new PostgresStore({ url: config.database.url as string, poolMax: config.database.poolMax });
  }
  const { SqliteStore } = await import('./repositories/sqlite/sqlite.store.js');
  return new SqliteStore({ path: config.database.sqlitePath });
}
