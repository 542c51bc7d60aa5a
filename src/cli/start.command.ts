import { Command, Option } from 'commander';
import { runApiProcess } from '../../workers/api.process.js';
import { createApplication } from '../app.js';
import { assertAuthDecided } from '../config/config.loader.js';
import type { Config } from '../config/config.schema.js';
import { createLogger, type Logger } from '../core/logger.js';
import { type CommonFlags, loadFromFlags, parsePort } from './shared.js';

interface StartFlags extends CommonFlags {
  mcp?: boolean;
  workers?: boolean;
  transport?: 'http' | 'stdio';
}

export function startCommand(): Command {
  return new Command('start')
    .description('Run the Session-Buddy server (REST API, health, metrics; MCP with --mcp or --transport=stdio)')
    .addOption(
      new Option('--mode <mode>', 'lite (no services) or standard (PostgreSQL + Redis)').choices(['lite', 'standard']),
    )
    .option('--host <host>', 'address to listen on (default from config: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default from config: 8678)', parsePort)
    .option('--mcp', 'also serve MCP over streamable HTTP at /mcp (config mcp.enabled)')
    .option('--workers', 'also run the job workers in this process (config workers.inProcess; lite always does)')
    .addOption(
      new Option('--transport <transport>', 'http: listen on host:port; stdio: MCP only, on stdin/stdout')
        .choices(['http', 'stdio'])
        .default('http'),
    )
    .action(async (flags: StartFlags, command: Command) => {
      const loaded = loadFromFlags(command, flags, {
        ...(flags.mcp ? { mcp: { enabled: true } } : {}),
        ...(flags.workers ? { workers: { inProcess: true } } : {}),
      });
      const { config } = loaded;
      // stdio serves one local client and no network: the auth rule of standard mode is for listeners.
      if (flags.transport === 'stdio') {
        await startStdio(config);
        return;
      }
      assertAuthDecided(loaded);
      await runApiProcess(config, createLogger(config.logging.level));
    });
}

/**
 * `--transport=stdio`: no listener; stdout carries the MCP protocol and nothing else, so logs go to
 * stderr. Stops when the client closes stdin, or on SIGTERM/SIGINT.
 */
async function startStdio(config: Config): Promise<void> {
  // Imported here so HTTP-only start-up does not load the MCP stdio transport.
  const { routeConsoleToStderr, serveMcpStdio } = await import('../mcp/mcp-stdio.js');
  routeConsoleToStderr();
  const logger = createLogger(config.logging.level, 'stderr');
  const app = await createApplication(config, logger);
  const stdio = await serveMcpStdio(app);
  logger.info({ transport: 'stdio', mode: config.mode, store: app.store.dialect }, 'Session-Buddy ready');
  const onSignal = (signal: string) => {
    armDeadline(config, logger);
    void stdio.stop(signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await stdio.stopped;
  stopped(logger);
}

/** If closing hangs (a stuck pool, a request that never ends), exit anyway. */
function armDeadline(config: Config, logger: Logger): void {
  const deadline = setTimeout(() => {
    logger.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.server.shutdownTimeoutMs + 5000);
  deadline.unref();
}

function stopped(logger: Logger): void {
  logger.info('stopped');
  logger.flush();
  process.exitCode = 0;
}
