import type { QueryLimits } from '../analytics/analytics-query.js';
import { ANALYTICS_QUERY_DEFAULTS } from '../config/config.schema.js';
import {
  activitySummaryInput,
  activitySummarySchema,
  analyticsExportInput,
  analyticsExportResultSchema,
  analyticsQueryInput,
  analyticsQueryResultSchema,
  EXPORT_INLINE_MAX_BYTES,
  insightsInput,
  insightsSchema,
  sessionAnalyticsInput,
  sessionAnalyticsSchema,
  workflowMetricsInput,
  workflowMetricsSchema,
} from '../domain/analytics.model.js';
import { CREATE, defineOperation, type Operation, READ } from './operation.js';

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
        'messages, reflections, patterns, dead_letters and message_days (per session and UTC day: counts per role, ' +
        'error messages; cheaper than scanning messages), your tenant only, without tenant_id. No other tables, ' +
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
    defineOperation({
      name: 'export_analytics',
      title: 'Export analytics',
      description:
        'Export a fact view (dataset: sessions, messages, reflections, patterns, dead_letters; optional project, ' +
        'from, to) or the rows of one read-only SQL statement (sql, same rules as query_analytics) of your tenant ' +
        'as csv (RFC 4180), json (JSON Lines) or parquet. With destination the file is written inside the ' +
        "server's export directory and the answer says where; without it REST streams the file, while MCP returns " +
        `CSV/JSON inline up to ${EXPORT_INLINE_MAX_BYTES / 1024 / 1024} MiB (parquet needs destination).`,
      input: analyticsExportInput,
      output: analyticsExportResultSchema,
      // It reads, but with destination it writes a file on the server.
      annotations: CREATE,
      scope: 'read',
      rest: {
        method: 'post',
        path: '/v1/analytics/export',
        operationId: 'exportAnalytics',
        tag: 'analytics',
        responses: {
          200: {
            description:
              'Without destination: the file, streamed (text/csv, application/x-ndjson or ' +
              'application/vnd.apache.parquet; Content-Disposition attachment). With destination: the JSON answer.',
            schema: analyticsExportResultSchema,
          },
        },
      },
      download: async ({ services, principal }, input) => {
        if (input.destination !== undefined) return undefined;
        const result = await services.analytics.export(principal, input);
        return 'stream' in result ? result : undefined;
      },
      run: async ({ services, principal }, input) => {
        if (input.destination !== undefined) {
          const file = await services.analytics.export(principal, input);
          if (!('stream' in file)) return { ...file, content: null };
        }
        return services.analytics.exportInline(principal, input, EXPORT_INLINE_MAX_BYTES);
      },
      summary: (r) =>
        `${r.rows} row(s) exported as ${r.format}, ${r.bytes} byte(s)` +
        (r.path === null ? ' (content below)' : ` to ${r.path}`) +
        '.',
    }),
    defineOperation({
      name: 'get_insights',
      title: 'Insights',
      description:
        'Insights over the last days (UTC, today included; default 30), optionally for one project: activity and ' +
        'error trends against the previous period, dead letters per queue and job, recurring topics and patterns, ' +
        "anomalies against the project's own trailing 28-day baseline (robust z-score) and recommendations, each " +
        'citing its evidence (session, dead letter and pattern ids, days, counts). Deterministic for the same data.',
      input: insightsInput,
      output: insightsSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/analytics/insights', operationId: 'getInsights', tag: 'analytics' },
      run: ({ services, principal }, input) => services.analytics.insights(principal, input),
      summary: (r) =>
        `${r.from}..${r.to}${r.project ? ` in ${r.project}` : ''}: ${r.activity.change.messages.current} message(s) ` +
        `(${r.activity.change.messages.previous} before), ${r.errors.change.deadLetters.current} dead letter(s), ` +
        `${r.topics.length} topic(s), ${r.patterns.length} pattern(s), ${r.anomalies.length} anomal(y/ies), ` +
        `${r.recommendations.length} recommendation(s).`,
    }),
    defineOperation({
      name: 'get_workflow_metrics',
      title: 'Workflow metrics',
      description:
        'Metrics per workflow: the sessions whose metadata carries the same workflow_id (or workflowId, or ' +
        'workflow): sessions by status, projects, messages, linked reflections, first and last activity and the ' +
        'duration between them. Workflows active in the last days (default 30; a named workflow_id without days: ' +
        'all time), most recently active first.',
      input: workflowMetricsInput,
      output: workflowMetricsSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/analytics/workflows', operationId: 'getWorkflowMetrics', tag: 'analytics' },
      run: ({ services, principal }, input) => services.analytics.workflowMetrics(principal, input),
      summary: (r) =>
        `${r.workflows.length} workflow(s)${r.truncated ? ' (more exist: narrow with workflow_id or project)' : ''}: ` +
        r.workflows
          .slice(0, 5)
          .map((w) => `${w.workflowId} ${w.sessions} session(s), ${w.messages} message(s)`)
          .join('; ') +
        '.',
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
  // Digits grouped by hand: the first toLocaleString loads ICU's locale data, about 9 ms of every start-up.
  const rows = String(maxRows).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${time}, ${rows} rows and ${size}`;
}
