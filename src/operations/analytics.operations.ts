import type { QueryLimits } from '../analytics/analytics-query.js';
import { ANALYTICS_QUERY_DEFAULTS } from '../config/config.schema.js';
import {
  activitySummaryInput,
  activitySummarySchema,
  analyticsQueryInput,
  analyticsQueryResultSchema,
  sessionAnalyticsInput,
  sessionAnalyticsSchema,
} from '../domain/analytics.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

/**
 * Analytics over the DuckDB facts (filled by the analytics sync): ad-hoc read-only SQL and the structured reads
 * Mahavishnu polls. Every answer covers the caller's tenant only.
 */
export function analyticsOperations(caps: QueryLimits = ANALYTICS_QUERY_DEFAULTS): Operation[] {
  return [
    defineOperation({
      name: 'query_analytics',
      title: 'Query analytics (SQL)',
      description:
        'Run one read-only SQL statement (SELECT or WITH, DuckDB dialect) over your analytics views: sessions, ' +
        'messages, reflections, patterns, dead_letters (your tenant only, without tenant_id). No other tables, ' +
        `files, table functions (except range, generate_series, unnest) or settings; at most ${describeCaps(caps)} ` +
        '(truncated says when rows were left out). Bind values with $1, $2… and params.',
      input: analyticsQueryInput,
      output: analyticsQueryResultSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'post', path: '/v1/analytics/query', operationId: 'queryAnalytics', tag: 'analytics' },
      run: ({ services, principal }, input) => services.analytics.query(principal, input),
      summary: (r) =>
        `${r.rowCount} row(s), ${r.columns.length} column(s) in ${r.elapsedMs} ms` +
        (r.truncated ? '; truncated: narrow the query or lower what it returns' : '') +
        '.',
    }),
    defineOperation({
      name: 'get_session_analytics',
      title: 'Session analytics',
      description:
        'Analytics of one session: messages and characters per role, first and last message and the duration ' +
        'between them, linked reflections and activity per UTC day. From the analytics store, which the sync ' +
        'keeps up to date (data_as_of says how current it is).',
      input: sessionAnalyticsInput,
      output: sessionAnalyticsSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/analytics/sessions/:id',
        operationId: 'getSessionAnalytics',
        tag: 'analytics',
        params: { id: 'sessionId' },
      },
      run: ({ services, principal }, { sessionId }) => services.analytics.sessionAnalytics(principal, sessionId),
      summary: (s) =>
        `Session '${s.name}' (${s.sessionId}): ${s.messages} message(s), ${s.chars} char(s)` +
        (s.durationSeconds === null ? '' : ` over ${s.durationSeconds}s`) +
        `, ${s.reflections} reflection(s), active on ${s.perDay.length} day(s).`,
    }),
    defineOperation({
      name: 'get_activity_summary',
      title: 'Activity summary',
      description:
        'Activity over the last days (UTC, today included; default 7): sessions, messages, reflections and dead ' +
        'letters per day, messages per role and the busiest projects, optionally for one project. From the ' +
        'analytics store (data_as_of says how current it is).',
      input: activitySummaryInput,
      output: activitySummarySchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/analytics/activity', operationId: 'getActivitySummary', tag: 'analytics' },
      run: ({ services, principal }, input) => services.analytics.activitySummary(principal, input),
      summary: (a) =>
        `${a.from}..${a.to}${a.project ? ` in ${a.project}` : ''}: ${a.totals.sessions} session(s), ` +
        `${a.totals.messages} message(s), ${a.totals.reflections} reflection(s), ${a.totals.deadLetters} dead ` +
        `letter(s); ${a.totals.activeSessions} active session(s).`,
    }),
  ];
}

/** The caps as the description states them, e.g. `5 s, 10,000 rows and 8 MiB`. */
function describeCaps({ maxRows, maxBytes, timeoutMs }: QueryLimits): string {
  const time = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
  const size =
    maxBytes % (1024 * 1024) === 0
      ? `${maxBytes / (1024 * 1024)} MiB`
      : maxBytes % 1024 === 0
        ? `${maxBytes / 1024} KiB`
        : `${maxBytes} bytes`;
  return `${time}, ${maxRows.toLocaleString('en-US')} rows and ${size}`;
}
