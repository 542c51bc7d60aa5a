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
      'One SELECT or WITH statement over the views sessions, messages, reflections, patterns and dead_letters ' +
        '(your tenant only; the columns of the fact tables in src/analytics/analytics-schema.ts, without tenant_id). ' +
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
