/**
 * Child process: a Session-Buddy worker, built as `session-buddy worker` builds it
 * (config → createApplication with role `worker`: outbox relay and job workers, no REST routes).
 * It serves no HTTP; the URL it reports is a placeholder.
 *
 * Config comes from the committed settings files plus the spec's overrides (see committedConfig).
 */
import { createApplication } from '../../../src/app.js';
import { createLogger } from '../../../src/core/logger.js';
import { serveForBench } from '../server-process.js';
import { committedConfig } from '../settings.js';

export interface PipelineWorkerSpec {
  /** Nested config values with CLI precedence, e.g. `{ mode: 'standard', database: { url } }`. */
  overrides: Record<string, unknown>;
}

serveForBench<PipelineWorkerSpec>(async (spec) => {
  const config = committedConfig(spec.overrides);
  const logger = createLogger(config.logging.level, 'stderr');
  const app = await createApplication(config, logger, { role: 'worker', defaultMetrics: false });
  return {
    url: `worker://${process.pid}`,
    close: async () => {
      await app.close();
      logger.flush();
    },
  };
});
