import { createApplication } from '../src/app.js';
import type { Config } from '../src/config/config.schema.js';
import type { Logger } from '../src/core/logger.js';
import { startHttpServer } from '../src/http/server.js';

export interface RunningWorker {
  url: string;
  /** Stops taking jobs, finishes in-flight ones within `workers.shutdownTimeoutMs`, closes everything. */
  stop(): Promise<void>;
}

/**
 * The worker process: consumes the configured queues, relays the outbox, and serves /healthz,
 * /readyz and /metrics (no API) so it can be probed and scraped like the API.
 */
export async function runWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const app = await createApplication(config, logger, { role: 'worker' });
  const server = await startHttpServer(app.http, config.server.host, config.workers.port);
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
    url: server.url,
    async stop() {
      await server.close(1000);
      await app.close();
    },
  };
}
