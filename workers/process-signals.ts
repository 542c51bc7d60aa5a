import type { Logger } from '../src/core/logger.js';

/**
 * Graceful stop on the first SIGTERM or SIGINT (later ones are ignored while it runs): `stop` is called once, and if
 * it has not finished within `deadlineMs` (a stuck pool, a job that never ends) the process exits with 1 anyway.
 */
export function stopOnSignals(
  logger: Logger,
  deadlineMs: number,
  stop: (signal: NodeJS.Signals) => Promise<void>,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    const deadline = setTimeout(() => {
      logger.error({ signal, deadlineMs }, 'shutdown timed out; exiting');
      logger.flush();
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    stop(signal).then(
      () => {
        logger.info({ signal, ms: Math.round(performance.now() - started) }, 'stopped');
        logger.flush();
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
