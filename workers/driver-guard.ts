import type { Config } from '../src/config/config.schema.js';
import type { Logger } from '../src/core/logger.js';

/**
 * postgres 3.4.9 can write to a connection after it closed, from a `setImmediate` where nothing can catch it
 * (`TypeError: Cannot read properties of null (reading 'write')` in `nextWrite`; upstream porsager/postgres#1154,
 * #1208, not fixed in 3.4.10). Our transactions avoid the usual path (`transaction.ts`), but a transaction that
 * awaits something else (the outbox relay publishing to Redis) can still meet a connection that died meanwhile.
 * That one error is logged and survived: the query it belonged to has already failed, and the pool reconnects.
 * Every other uncaught exception still ends the process with code 1, as Node's default does.
 * Remove when the driver guards `nextWrite` itself.
 */
export function survivePostgresDriverWriteAfterClose(config: Config, logger: Logger): void {
  if (config.database.driver !== 'postgres') return;
  process.on('uncaughtException', (error: Error, origin) => {
    if (isDriverWriteAfterClose(error)) {
      logger.warn({ err: error }, 'PostgreSQL driver wrote to a closed connection; ignored (porsager/postgres#1208)');
      return;
    }
    logger.fatal({ err: error, origin }, 'uncaught exception');
    logger.flush();
    process.exit(1);
  });
}

export function isDriverWriteAfterClose(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /reading 'write'/.test(error.message) &&
    /\bnextWrite\b/.test(error.stack ?? '') &&
    /postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? '')
  );
}
