import { advertisedUrl } from '../src/analytics/analytics-owner.js';
import { type Application, createApplication } from '../src/app.js';
import type { Config } from '../src/config/config.schema.js';
import type { Logger } from '../src/core/logger.js';
import { startHttpServer } from '../src/http/server.js';
import { survivePostgresDriverWriteAfterClose } from './driver-guard.js';
import { stopOnSignals } from './process-signals.js';

export interface RunningApi {
  app: Application;
  url: string;
  /** Stops taking requests, finishes in-flight ones within `server.shutdownTimeoutMs`, closes everything. */
  stop(): Promise<void>;
}

/**
 * The API process (`session-buddy start`): REST, health and metrics, MCP at /mcp when enabled; relays the outbox,
 * and runs the workers too in lite mode or with `workers.inProcess`.
 */
export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const app = await createApplication(config, logger, { role: 'api' });
  try {
    const server = await startHttpServer(app.http, config.server.host, config.server.port, config.server);
    // The analytics owner registers where it serves the other processes' analytics reads.
    await app.analytics.ownership?.advertise(advertisedUrl(config, server.port));
    const mcp = config.mcp.enabled ? `${server.url}/mcp` : undefined;
    logger.info({ url: server.url, mcp, mode: config.mode, store: app.store.dialect }, 'Session-Buddy ready');
    const exposure = exposureWarning(config);
    if (exposure) logger.warn({ allowedHosts: config.server.allowedHosts }, exposure);
    return {
      app,
      url: server.url,
      async stop() {
        await server.close(config.server.shutdownTimeoutMs);
        await app.close();
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/**
 * Bound to a wildcard address with no `server.allowedHosts`: clients that use a network name or address other
 * than the machine's host name get 403 (DNS-rebinding protection). Said once at start, not per refused request.
 */
export function exposureWarning(config: Config): string | undefined {
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(config.server.host);
  if (!wildcard || config.server.allowedHosts.length > 0 || config.mcp.allowedHosts.length > 0) return undefined;
  return (
    `listening on ${config.server.host}, but only loopback names and this machine's host name and addresses ` +
    'are answered: ' +
    'list the names clients use in server.allowedHosts (SESSION_BUDDY_SERVER__ALLOWED_HOSTS), see docs/security.md'
  );
}

/** Runs the API process until SIGTERM or SIGINT, then stops it gracefully. */
export async function runApiProcess(config: Config, logger: Logger): Promise<RunningApi> {
  survivePostgresDriverWriteAfterClose(config, logger);
  const api = await startApi(config, logger);
  stopOnSignals(logger, config.server.shutdownTimeoutMs + 5000, async (signal) => {
    logger.info({ signal }, 'shutting down: no new requests, finishing in-flight ones');
    await api.stop();
  });
  return api;
}
