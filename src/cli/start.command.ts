import { Command, Option } from 'commander';
import { createApplication } from '../app.js';
import { createLogger } from '../core/logger.js';
import { startHttpServer } from '../http/server.js';
import { parsePort } from './main.js';
import { type CommonFlags, loadFromFlags } from './shared.js';

export function startCommand(): Command {
  return new Command('start')
    .description('Run the Session-Buddy server (REST API, health, metrics)')
    .addOption(
      new Option('--mode <mode>', 'lite (no services) or standard (PostgreSQL + Redis)').choices(['lite', 'standard']),
    )
    .option('--host <host>', 'address to listen on (default from config: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default from config: 8678)', parsePort)
    .action(async (flags: CommonFlags, command: Command) => {
      const { config } = loadFromFlags(command, flags);
      const logger = createLogger(config.logging.level);
      const app = await createApplication(config, logger);
      const server = await startHttpServer(app.http, config.server.host, config.server.port);
      logger.info({ url: server.url, mode: config.mode, store: app.store.dialect }, 'Session-Buddy ready');

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: no new requests, finishing in-flight ones');
        const deadline = setTimeout(() => {
          logger.error('shutdown timed out; exiting');
          process.exit(1);
        }, config.server.shutdownTimeoutMs + 5000);
        deadline.unref();
        await server.close(config.server.shutdownTimeoutMs);
        await app.close();
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
}
