import { z } from 'zod';
import { EXPORT_FORMATS } from '../analytics/analytics-export.js';
import { MAX_QUERY_CHARS, MAX_QUERY_PARAMS } from '../analytics/analytics-query.js';
import { FACT_TABLES } from '../analytics/analytics-schema.js';
import { idSchema, projectSchema, timestampSchema } from './common.model.js';
import { MESSAGE_ROLES } from './message.model.js';

/** Rows query_analytics returns at most (and its `limit` default). */
export const QUERY_ROWS_MAX = 10_000;
export const QUERY_ROWS_DEFAULT = 1_000;
/** Days get_activity_summary covers at most (and by default). */
export const ACTIVITY_DAYS_MAX = 366;
export const ACTIVITY_DAYS_DEFAULT = 7;

const queryParam = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);

export const analyticsQueryInput = z.strictObject({
  sql: z
    .string()
    .min(1, 'is required')
    .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
    .describe(
      'One SELECT or WITH statement over the views sessions, messages, reflections, patterns, dead_letters and ' +
        'message_days (your tenant only; the columns of facts.* in src/analytics/analytics-schema.ts and ' +
        'analytics-rollup.ts, without tenant_id). ' +
        '$1, $2… (or ?) bind params.',
    ),
  params: z
    .array(queryParam)
    .max(MAX_QUERY_PARAMS)
    .default([])
    .describe('Values for the positional parameters $1, $2… of sql'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(QUERY_ROWS_MAX)
    .default(QUERY_ROWS_DEFAULT)
    .describe(`Rows returned at most (1–${QUERY_ROWS_MAX}); more set truncated`),
});
export type AnalyticsQueryInput = z.output<typeof analyticsQueryInput>;

export const analyticsQueryResultSchema = z.object({
  columns: z
    .array(z.object({ name: z.string(), type: z.string().describe("DuckDB's type name, e.g. BIGINT, VARCHAR") }))
    .describe('Result columns in order'),
  rows: z
    .array(z.array(z.unknown()))
    .describe(
      'One array per row in column order. Integers are numbers (strings beyond 2^53), decimals numbers, ' +
        'timestamps ISO 8601 UTC strings, dates YYYY-MM-DD, lists arrays, structs objects',
    ),
  rowCount: z.number().int().describe('Rows returned'),
  truncated: z.boolean().describe('More rows existed than the limit, the row cap or the byte cap allowed'),
  elapsedMs: z.number().describe('Time the query took, in milliseconds'),
});
export type AnalyticsQueryResult = z.output<typeof analyticsQueryResultSchema>;

const count = z.number().int().min(0);
const isoTime = z.string().describe('ISO 8601 UTC');
const day = z.string().describe('UTC day, YYYY-MM-DD');
const dataAsOf = isoTime
  .nullable()
  .describe(
    'Everything written to the primary store before this time is counted (the analytics sync is incremental); ' +
      'null while the sync has not caught up yet',
  );

function perRole<T extends z.ZodType>(value: T) {
  return z.object(
    Object.fromEntries(MESSAGE_ROLES.map((role) => [role, value])) as Record<(typeof MESSAGE_ROLES)[number], T>,
  );
}

export const sessionAnalyticsInput = z.strictObject({
  sessionId: idSchema.describe('Id of the session (a UUID returned by create_session or list_sessions)'),
});

export const sessionAnalyticsSchema = z.object({
  sessionId: z.string(),
  project: z.string(),
  name: z.string(),
  status: z.string(),
  messages: count.describe('Messages of the session'),
  chars: count.describe('Characters of all its messages'),
  byRole: perRole(z.object({ messages: count, chars: count })).describe('Messages and characters per role'),
  firstMessageAt: isoTime.nullable(),
  lastMessageAt: isoTime.nullable(),
  durationSeconds: z.number().min(0).nullable().describe('From the first message to the last; null without messages'),
  reflections: count.describe('Reflections linked to the session'),
  perDay: z.array(z.object({ day, messages: count, chars: count })).describe('Days with messages, oldest first'),
  createdAt: isoTime,
  updatedAt: isoTime,
  dataAsOf,
});
export type SessionAnalytics = z.output<typeof sessionAnalyticsSchema>;

export const activitySummaryInput = z.strictObject({
  project: projectSchema.optional().describe('Only this project (dead letters belong to no project: all are counted)'),
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(ACTIVITY_DAYS_MAX)
    .default(ACTIVITY_DAYS_DEFAULT)
    .describe(`UTC days covered, today included (1–${ACTIVITY_DAYS_MAX})`),
});
export type ActivitySummaryInput = z.output<typeof activitySummaryInput>;

export const activitySummarySchema = z.object({
  project: z.string().nullable(),
  days: z.number().int(),
  from: day.describe('First UTC day covered'),
  to: day.describe('Last UTC day covered (today)'),
  totals: z.object({
    sessions: count.describe('Sessions created in the window'),
    messages: count.describe('Messages written in the window'),
    reflections: count.describe('Reflections stored in the window'),
    deadLetters: count.describe('Jobs that failed for good in the window'),
    activeSessions: count.describe('Sessions with at least one message in the window'),
  }),
  perDay: z
    .array(z.object({ day, sessions: count, messages: count, reflections: count, deadLetters: count }))
    .describe('Every day of the window, oldest first, zeros included'),
  messagesByRole: perRole(count),
  topProjects: z
    .array(z.object({ project: z.string(), sessions: count, messages: count }))
    .describe('Up to 10 projects with the most messages in the window (sessions: those with messages)'),
  dataAsOf,
});
export type ActivitySummary = z.output<typeof activitySummarySchema>;

/** Bytes of CSV or JSON Lines an export returns inline (MCP, and CLI calls that do not stream) at most. */
export const EXPORT_INLINE_MAX_BYTES = 1024 * 1024;

export const analyticsExportInput = z.strictObject({
  dataset: z
    .enum(FACT_TABLES)
    .optional()
    .describe(
      'A whole fact view (your tenant only, without tenant_id) in time order: sessions, messages, reflections, ' +
        'patterns or dead_letters. Give dataset or sql, not both',
    ),
  sql: z
    .string()
    .min(1, 'is required')
    .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
    .optional()
    .describe('One SELECT or WITH statement over the views, with the rules of query_analytics (no row limit)'),
  params: z
    .array(queryParam)
    .max(MAX_QUERY_PARAMS)
    .default([])
    .describe('Values for the positional parameters $1, $2… of sql'),
  project: projectSchema.optional().describe('Dataset only: rows of this project (dead_letters have none)'),
  from: timestampSchema
    .optional()
    .describe('Dataset only: rows created at or after this time (dead_letters: failed_at)'),
  to: timestampSchema.optional().describe('Dataset only: rows created before this time (dead_letters: failed_at)'),
  format: z
    .enum(EXPORT_FORMATS)
    .default('csv')
    .describe(
      'csv (RFC 4180: header row, CRLF, NULL an empty field), json (JSON Lines, application/x-ndjson: one ' +
        'object per line) or parquet',
    ),
  destination: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe(
      'Write the export to this file, relative to the export directory (analytics.exportDir; sub-directories must ' +
        'exist) instead of returning it',
    ),
  overwrite: z.boolean().default(false).describe('Replace the destination file when it exists'),
});
export type AnalyticsExportInput = z.output<typeof analyticsExportInput>;

export const analyticsExportResultSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  rows: count.describe('Rows exported'),
  bytes: count.describe('Bytes of the file or of the inline content'),
  path: z
    .string()
    .nullable()
    .describe('The file written (analytics.exportDir joined with destination); null when returned inline'),
  content: z
    .string()
    .nullable()
    .describe(
      `The CSV or JSON Lines text when there is no destination (up to ${EXPORT_INLINE_MAX_BYTES} bytes); null ` +
        'when written to a file',
    ),
});
export type AnalyticsExportResult = z.output<typeof analyticsExportResultSchema>;
/** Days get_insights and get_workflow_metrics cover at most, and get_insights by default. */
export const INSIGHT_DAYS_MAX = 366;
export const INSIGHT_DAYS_DEFAULT = 30;

const PERIOD_WORDS: Record<string, number> = { day: 1, week: 7, month: 30, quarter: 90, year: 365 };

/** A period as days: a number, `14`, `14d`, `2w`, or day/week/month/quarter/year; anything else is left to fail. */
function periodDays(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const s = value.trim().toLowerCase();
  const word = PERIOD_WORDS[s];
  if (word) return word;
  const match = /^(\d{1,4})\s*([dw]?)$/.exec(s);
  if (!match) return value;
  return Number(match[1]) * (match[2] === 'w' ? 7 : 1);
}

const windowDays = (what: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(INSIGHT_DAYS_MAX)
    .optional()
    .describe(`UTC days ${what}, today included (1–${INSIGHT_DAYS_MAX})`);

export const insightsInput = z.strictObject({
  project: projectSchema.optional().describe('Only this project (dead letters belong to no project: all are counted)'),
  days: windowDays(`covered (default ${INSIGHT_DAYS_DEFAULT})`),
  period: z
    .preprocess(periodDays, z.number({ error: 'must be a number of days, Nd, Nw, week, month, quarter or year' }))
    .pipe(z.number().int().min(1).max(INSIGHT_DAYS_MAX))
    .optional()
    .describe('Same as days, as the original system names it: 14, "14d", "2w", "week", "month", "quarter", "year"'),
});
export type InsightsInput = z.output<typeof insightsInput>;

const ids = z.array(z.string());
export const evidenceSchema = z
  .object({
    sessionIds: ids.describe('Sessions that show it (at most 10)'),
    deadLetterIds: ids.describe('Dead letters that show it (at most 10)'),
    patternIds: ids.describe('Patterns that show it'),
    days: z.array(day).describe('UTC days it concerns'),
    counts: z.record(z.string(), z.number()).describe('The figures it rests on, by name'),
  })
  .describe('What an insight rests on: ids that exist in your data, days and counts');
export type Evidence = z.output<typeof evidenceSchema>;

const change = z.object({
  current: count,
  previous: count,
  percent: z.number().nullable().describe('Change in percent, one decimal; null when previous is 0'),
});

export const ANOMALY_METRICS = ['messages', 'sessions', 'errorMessages', 'deadLetters'] as const;
export const RECOMMENDATION_KINDS = [
  'fix-dead-letters',
  'investigate-anomaly',
  'record-lessons',
  'capture-topic',
  'address-pattern',
  'close-stale-sessions',
  'activity-drop',
] as const;

export const insightsSchema = z.object({
  project: z.string().nullable(),
  days: z.number().int(),
  from: day.describe('First UTC day of the period'),
  to: day.describe('Last UTC day of the period (today)'),
  previousFrom: day.describe('First UTC day of the previous period of the same length'),
  activity: z.object({
    perDay: z
      .array(z.object({ day, sessions: count, messages: count, reflections: count, activeSessions: count }))
      .describe('Every day of the period, oldest first, zeros included'),
    change: z
      .object({ sessions: change, messages: change, reflections: change, activeSessions: change })
      .describe('Totals of the period against the previous period of the same length'),
  }),
  errors: z.object({
    perDay: z
      .array(z.object({ day, deadLetters: count, errorMessages: count }))
      .describe('Every day of the period: dead letters (by failed_at) and tool/assistant messages with error markers'),
    change: z.object({ deadLetters: change, errorMessages: change }),
    byJob: z
      .array(
        z.object({
          queue: z.string(),
          jobName: z.string(),
          deadLetters: count,
          open: count.describe('Still open (not retried or discarded)'),
          lastFailedAt: isoTime,
          lastError: z.string().describe('Error of the most recent one (at most 200 characters)'),
          deadLetterIds: ids.describe('Most recent first, at most 10'),
        }),
      )
      .describe('Dead letters of the period per queue and job, most first'),
    topSessions: z
      .array(z.object({ sessionId: z.string(), errorMessages: count }))
      .describe('Sessions with the most error messages in the period (at most 10)'),
  }),
  topics: z
    .array(
      z.object({
        term: z.string(),
        sessions: count.describe('Sessions whose name or first user message of the period uses it'),
        reflections: count.describe('Reflections of the period tagged with it'),
        exampleSessionIds: ids.describe('At most 3, most recently active first'),
      }),
    )
    .describe('Terms seen in at least two sessions or reflections of the period, most first (at most 15)'),
  patterns: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        kind: z.string(),
        source: z.string(),
        tags: z.array(z.string()),
        occurrences: count.describe(
          'Messages or reflections that show it (a detected pattern: its evidence item count; manual: 0)',
        ),
        createdAt: isoTime,
        updatedAt: isoTime,
      }),
    )
    .describe(
      'Patterns created or updated (re-detected) in the period, most occurrences first, then recurring errors ' +
        '(at most 20)',
    ),
  anomalies: z
    .array(
      z.object({
        day,
        metric: z.enum(ANOMALY_METRICS),
        value: count,
        baselineMedian: z.number(),
        baselineMad: z.number().describe('Median absolute deviation of the baseline days'),
        baselineDays: count.describe('Baseline days used (the trailing 28 days with history)'),
        robustZ: z.number().describe('Modified z-score, two decimals; |z| ≥ 3.5 is an anomaly'),
        direction: z.enum(['spike', 'drop']),
        evidence: evidenceSchema,
      }),
    )
    .describe('Days of the period far from the project’s own trailing baseline (method: docs/analytics.md)'),
  recommendations: z
    .array(
      z.object({
        kind: z.enum(RECOMMENDATION_KINDS),
        priority: z.enum(['high', 'medium', 'low']),
        message: z.string(),
        evidence: evidenceSchema,
      }),
    )
    .describe('What to do next, each with its evidence; high priority first'),
  dataAsOf,
});
export type Insights = z.output<typeof insightsSchema>;
export type Anomaly = Insights['anomalies'][number];
export type Recommendation = Insights['recommendations'][number];

/** Workflows get_workflow_metrics lists at most. */
export const WORKFLOWS_MAX = 100;
/** Session metadata keys that name a session's workflow, in order of precedence. */
export const WORKFLOW_KEYS = ['workflow_id', 'workflowId', 'workflow'] as const;

export const workflowMetricsInput = z.strictObject({
  workflowId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only this workflow (the workflow_id, workflowId or workflow its sessions carry in metadata)'),
  project: projectSchema.optional().describe('Only sessions of this project'),
  days: windowDays(
    'in which a workflow must have been active (default 30; without it, a named workflow is looked up over all time)',
  ),
});
export type WorkflowMetricsInput = z.output<typeof workflowMetricsInput>;

export const workflowMetricsSchema = z.object({
  workflowId: z.string().nullable(),
  project: z.string().nullable(),
  days: z.number().int().nullable().describe('The activity window applied; null: all time'),
  workflows: z
    .array(
      z.object({
        workflowId: z.string(),
        sessions: count,
        byStatus: z.object({ active: count, ended: count, archived: count }),
        projects: z.array(z.string()).describe('Projects of its sessions, alphabetical'),
        messages: count,
        reflections: count.describe('Reflections linked to its sessions'),
        firstActivityAt: isoTime.describe('Creation of its first session'),
        lastActivityAt: isoTime.describe('Last change of any of its sessions (a message, a status change)'),
        durationSeconds: z.number().min(0).describe('From firstActivityAt to lastActivityAt'),
        sessionIds: ids.describe('Most recently active first, at most 50'),
      }),
    )
    .describe(`Most recently active first, at most ${WORKFLOWS_MAX}`),
  truncated: z.boolean().describe(`More than ${WORKFLOWS_MAX} workflows matched`),
  dataAsOf,
});
export type WorkflowMetrics = z.output<typeof workflowMetricsSchema>;
