import {
  activitySummaryInput,
  activitySummarySchema,
  analyticsQueryInput,
  analyticsQueryResultSchema,
  insightsInput,
  insightsSchema,
  sessionAnalyticsInput,
  sessionAnalyticsSchema,
  workflowMetricsInput,
  workflowMetricsSchema,
} from '../domain/analytics.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

/**
 * Analytics over the DuckDB facts (filled by the analytics sync): ad-hoc read-only SQL and the structured reads
 * Mahavishnu polls. Every answer covers the caller's tenant only.
 */
export function analyticsOperations(): Operation[] {
  return [
    defineOperation({
      name: 'query_analytics',
      title: 'Query analytics (SQL)',
      description:
        'Run one read-only SQL statement (SELECT or WITH, DuckDB dialect) over your analytics views: sessions, ' +
        'messages, reflections, patterns, dead_letters (your tenant only, without tenant_id). No other tables, ' +
        'files, table functions (except range, generate_series, unnest) or settings; at most 5 s, ' +
        '10,000 rows and 8 MiB (truncated says when rows were left out). Bind values with $1, $2… and params.',
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
