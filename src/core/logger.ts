import pino from 'pino';
import { serializeError } from './log-errors.js';

export type Logger = pino.Logger;

/**
 * JSON logs. `stderr` keeps stdout free for the MCP stdio protocol; the CLI chooses. (Default: stdout)
 */
export function createLogger(level: string, destination: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    {
      level,
      base: { service: 'session-buddy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // PostgreSQL errors without user content (detail, parameters, quoted values): see log-errors.ts.
      serializers: { err: serializeError },
    },
    pino.destination({ fd: destination === 'stderr' ? 2 : 1, sync: false }),
  );
}
