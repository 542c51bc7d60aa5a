/**
 * Child process: a Session-Buddy worker built as `session-buddy worker` builds it (startWorker: createApplication
 * with role `worker`, /healthz, /readyz and /metrics on `workers.port`). The URL it reports is that of its
 * /metrics server. Config comes from the committed settings files plus the spec's overrides (see committedConfig).
 */
import { createLogger } from '../../../src/core/logger.js';
import { startWorker } from '../../../workers/worker.process.js';
import { serveForBench } from '../server-process.js';
import { committedConfig, mergeConfig } from '../settings.js';

export interface AnalyticsWorkerSpec {
  /** Nested config values with CLI precedence, e.g. `{ mode: 'standard', database: { url } }`. */
  overrides: Record<string, unknown>;
}

serveForBench<AnalyticsWorkerSpec>(async (spec) => {
  const config = committedConfig(mergeConfig(spec.overrides, { server: { host: '127.0.0.1' }, workers: { port: 0 } }));
  const logger = createLogger(config.logging.level, 'stderr');
  const worker = await startWorker(config, logger);
  return {
    url: worker.url,
    close: async () => {
      await worker.stop();
      logger.flush();
    },
  };
});
