import pino from 'pino';
import { activeTraceIds } from '../tracing/spans.js';
import { currentLogFields } from './log-context.js';
import { serializeError } from './log-errors.js';

export type Logger = pino.Logger;

/**
 * JSON logs. `stderr` keeps stdout free for the MCP stdio protocol; the CLI chooses. (Default: stdout)
 * Every line written while handling a request or a job carries its request id, tenant, session id, job id and
 * trace id where known (see log-context.ts); the level policy is in docs/architecture.md "Logs".
 */
export function createLogger(
  level: string,
  destination: 'stdout' | 'stderr' | pino.DestinationStream = 'stdout',
): Logger {
  return pino(
    {
      level,
      base: { service: 'session-buddy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // PostgreSQL errors without user content (detail, parameters, quoted values): see log-errors.ts.
      serializers: { err: serializeError },
      mixin: () => {
        const ids = activeTraceIds();
        return ids ? { ...currentLogFields(), traceId: ids.traceId, spanId: ids.spanId } : currentLogFields();
      },
    },
    typeof destination === 'string'
      ? pino.destination({ fd: destination === 'stderr' ? 2 : 1, sync: false })
      : destination,
  );
}
