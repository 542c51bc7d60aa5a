/**
 * Child process: the real Session-Buddy server, built exactly as `session-buddy start` builds it
 * (config → createApplication → startHttpServer), on an ephemeral port of 127.0.0.1.
 *
 * Config comes from the committed settings files plus the spec's overrides (see committedConfig).
 */
import { createApplication } from '../../../src/app.js';
import { createLogger } from '../../../src/core/logger.js';
import { startHttpServer } from '../../../src/http/server.js';
import { serveForBench } from '../server-process.js';
import { committedConfig } from '../settings.js';

export interface SessionBuddyServerSpec {
  /** Nested config values with CLI precedence, e.g. `{ mode: 'standard', database: { url } }`. */
  overrides: Record<string, unknown>;
}

serveForBench<SessionBuddyServerSpec>(async (spec) => {
  const config = committedConfig({ ...spec.overrides, server: { host: '127.0.0.1', port: 0 } });
  const logger = createLogger(config.logging.level, 'stderr');
  const app = await createApplication(config, logger);
  const server = await startHttpServer(app.http, config.server.host, config.server.port);
  return {
    url: server.url,
    close: async () => {
      await server.close(5000);
      await app.close();
      logger.flush();
    },
  };
});
