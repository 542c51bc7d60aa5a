import type { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { Config } from './config/config.schema.js';
import type { Logger } from './core/logger.js';
import { VERSION } from './core/version.js';
import { messageSchemas } from './domain/message.model.js';
import { sessionSchemas } from './domain/session.model.js';
import { type AppEnv, createHttpApp } from './http/http-app.js';
import type { RouteDef } from './http/route.js';
import { messageRoutes } from './http/routes/message.routes.js';
import { sessionRoutes } from './http/routes/session.routes.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Store } from './repositories/ports.js';
import { PostgresStore } from './repositories/postgres/postgres.store.js';
import { SqliteStore } from './repositories/sqlite/sqlite.store.js';
import { AuthService } from './services/auth.service.js';
import { ExportService } from './services/export.service.js';
import { type DependencyCheck, HealthService } from './services/health.service.js';
import { MessageService } from './services/message.service.js';
import { SessionService } from './services/session.service.js';

export interface Services {
  sessions: SessionService;
  messages: MessageService;
  exports: ExportService;
  health: HealthService;
  auth: AuthService;
}

export interface Application {
  config: Config;
  logger: Logger;
  store: Store;
  services: Services;
  metrics: Metrics;
  http: Hono<AppEnv>;
  routes: RouteDef[];
  /** Closes every pool and connection this application opened. Safe to call twice. */
  close(): Promise<void>;
}

export interface ApplicationOptions {
  /** Collect process metrics (off in tests that build many apps). (Default: true) */
  defaultMetrics?: boolean;
}

/** The composition root: builds every component from config. Nothing else reaches for globals. */
export async function createApplication(
  config: Config,
  logger: Logger,
  options: ApplicationOptions = {},
): Promise<Application> {
  const store = createStore(config);
  const closers: Array<() => Promise<unknown>> = [() => store.close()];
  try {
    if (store instanceof SqliteStore) {
      await store.migrate();
    } else if (store instanceof PostgresStore) {
      if (config.database.migrateOnStart) {
        const applied = await store.migrate();
        if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      } else {
        await store.assertMigrated();
      }
    }

    const checks: DependencyCheck[] = [
      { name: store.dialect === 'postgres' ? 'postgresql' : 'sqlite', check: () => store.ping() },
    ];
    if (config.mode === 'standard') {
      const redis = new Redis(config.redis.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectionName: 'session-buddy-health',
      });
      redis.on('error', () => {}); // state is reported by readiness, not by crashing
      closers.push(() => redis.quit().catch(() => redis.disconnect()));
      checks.push({
        name: 'redis',
        check: async () => {
          if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
          await redis.ping();
        },
      });
    }

    const metrics = createMetrics({ defaultMetrics: options.defaultMetrics });
    const sessions = new SessionService(store, sessionSchemas(config.limits));
    const messages = new MessageService(store, messageSchemas(config.limits));
    const exports = new ExportService(sessions, messages);
    const health = new HealthService({ name: config.serverName, version: VERSION, mode: config.mode }, checks);
    const auth = new AuthService(config.auth);
    const services: Services = { sessions, messages, exports, health, auth };

    const routes = [...sessionRoutes(sessions, exports), ...messageRoutes(messages)];
    const http = createHttpApp({
      routes,
      auth,
      health,
      metrics,
      logger,
      bodyLimitBytes: config.server.bodyLimitBytes,
      info: { title: config.serverName, version: VERSION },
    });

    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= Promise.allSettled(closers.reverse().map((fn) => fn())).then(() => undefined);
      return closed;
    };
    return { config, logger, store, services, metrics, http, routes, close };
  } catch (error) {
    await Promise.allSettled(closers.map((fn) => fn()));
    throw error;
  }
}

export function createStore(config: Config): Store {
  if (config.database.driver === 'postgres') {
    return new PostgresStore({ url: config.database.url as string, poolMax: config.database.poolMax });
  }
  return new SqliteStore({ path: config.database.sqlitePath });
}
