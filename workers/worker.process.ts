import { advertisedUrl } from '../src/analytics/analytics-owner.js';
import { type Application, createApplication } from '../src/app.js';
import type { Config } from '../src/config/config.schema.js';
import type { Logger } from '../src/core/logger.js';
import { startHttpServer } from '../src/http/server.js';
import { survivePostgresDriverWriteAfterClose } from './driver-guard.js';
import { stopOnSignals } from './process-signals.js';

export interface RunningWorker {
  app: Application;
  url: string;
  /** Stops taking jobs, finishes in-flight ones within `workers.shutdownTimeoutMs`, closes everything. */
  stop(): Promise<void>;
}

/**
 * The worker process (`session-buddy worker`, as many as you need): consumes the configured queues, relays the
 * outbox, and serves /healthz, /readyz and /metrics on `workers.port` (never /v1 nor /mcp) so it can be probed and
 * scraped like the API. The one worker holding the DuckDB file (the analytics owner, see analytics-owner.ts) consumes
 * `analytics` and serves the API processes' analytics reads there too (`POST /internal/analytics/:method`).
 */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const app = await createApplication(config, logger, { role: 'worker' });
  try {
    const server = await startHttpServer(app.http, config.server.host, config.workers.port, config.server);
    // The analytics owner registers where it serves the other processes' analytics reads.
    await app.analytics.ownership?.advertise(advertisedUrl(config, server.port));
    logger.info(
      {
        url: server.url,
        queues: config.workers.queues,
        concurrency: config.workers.concurrency,
        backend: app.jobs.backend.kind,
      },
      'Session-Buddy worker ready',
    );
    return {
      app,
      url: server.url,
      async stop() {
        await server.close(1000);
        await app.close();
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** Runs a worker process until SIGTERM or SIGINT, then stops it gracefully. */
export async function runWorkerProcess(config: Config, logger: Logger): Promise<RunningWorker> {
  survivePostgresDriverWriteAfterClose(config, logger);
  const worker = await startWorker(config, logger);
  stopOnSignals(logger, config.workers.shutdownTimeoutMs + 10_000, async (signal) => {
    logger.info({ signal }, 'worker shutting down: no new jobs, finishing in-flight ones');
    await worker.stop();
  });
  return worker;
}
