import pino from 'pino';

export type Logger = pino.Logger;

/**
 * JSON logs. `stderr` keeps stdout free for the MCP stdio protocol; the CLI chooses. (Default: stdout)
 */
export function createLogger(level: string, destination: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    { level, base: { service: 'session-buddy' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: destination === 'stderr' ? 2 : 1, sync: false }),
  );
}
