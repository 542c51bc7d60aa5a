import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  copyParquet,
  datasetQuery,
  EXPORT_CONTENT_TYPES,
  EXPORT_EXTENSIONS,
  type ExportFormat,
  type ExportProgressListener,
  type ExportQuery,
  readText,
  rowStream,
  stagingFile,
  streamAndDelete,
  writeStreamToFile,
} from '../analytics/analytics-export.js';
import { lockDownInstance, type QueryLimits, runReadOnlyQuery } from '../analytics/analytics-query.js';
import type { FactTable } from '../analytics/analytics-schema.js';
import { exportRoot, publishFile, removeQuietly, resolveDestination } from '../analytics/export-destination.js';
import { ANALYTICS_QUERY_DEFAULTS } from '../config/config.schema.js';
import { NotFoundError, UnavailableError, ValidationError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type {
  ActivitySummary,
  ActivitySummaryInput,
  AnalyticsExportInput,
  AnalyticsExportResult,
  AnalyticsQueryInput,
  AnalyticsQueryResult,
  Insights,
  InsightsInput,
  SessionAnalytics,
  WorkflowMetrics,
  WorkflowMetricsInput,
} from '../domain/analytics.model.js';
import { MESSAGE_ROLES, type MessageRole } from '../domain/message.model.js';
import { DAY_MS, dataAsOf, dayOf, iso, num, rows, utcDay } from './analytics/facts-sql.js';
import { insights } from './analytics/insights.js';
import { workflowMetrics } from './analytics/workflows.js';

/** The DuckDB analytics database as this service needs it (AnalyticsStore is one). */
export interface AnalyticsDatabase {
  /** The instance, opened (with the fact schema) on first use. */
  ready(): Promise<DuckDBInstance>;
  /**
   * Runs `fn` with the instance and keeps it open meanwhile (AnalyticsStore reopens its instance now and then;
   * connections opened inside `fn` hold it until closed). Without it, `ready()` is used.
   */
  lease?<T>(fn: (instance: DuckDBInstance) => Promise<T>): Promise<T>;
  /** Where the analytics writer puts files DuckDB loads (AnalyticsStore.stagingDir): reachable after the lock-down. */
  readonly stagingDir?: string;
}

/**
 * Default caps of ad-hoc SQL (`query_analytics`), the defaults of `analytics.queryMaxRows`, `queryMaxBytes` and
 * `queryTimeoutMs`; the application passes the configured ones (`limits`).
 */
export const ANALYTICS_QUERY_LIMITS: Readonly<QueryLimits> = ANALYTICS_QUERY_DEFAULTS;

/**
 * The reads of AnalyticsService other processes may call through the analytics owner (see
 * src/services/analytics-remote.ts): each takes the principal first, then JSON arguments, and answers JSON (or a
 * stream result). A public read method added to the service is added here too.
 */
export const ANALYTICS_READS = [
  'query',
  'sessionAnalytics',
  'activitySummary',
  'insights',
  'workflowMetrics',
  'export',
  'exportInline',
] as const;

export type AnalyticsReadName = (typeof ANALYTICS_READS)[number];

/** What every analytics implementation answers: the local service, or RemoteAnalytics in an API process. */
export type AnalyticsReads = Pick<AnalyticsService, AnalyticsReadName>;

/** Projects get_activity_summary lists at most. */
const TOP_PROJECTS = 10;

/** Where and how far export_analytics goes (config `analytics.exportDir`, `exportMaxRows`, `exportTimeoutMs`). */
export interface AnalyticsExportOptions {
  /** Directory files are written into (and Parquet staged in). */
  dir: string;
  /** Rows one export may hold. */
  maxRows: number;
  /** Milliseconds one export may take, a slow reader included. */
  timeoutMs: number;
}

export const ANALYTICS_EXPORT_DEFAULTS: Readonly<AnalyticsExportOptions> = {
  dir: 'data/exports',
  maxRows: 10_000_000,
  timeoutMs: 600_000,
};

/** An export answered as a file, streamed as the reader pulls it. */
export interface AnalyticsExportStream {
  contentType: string;
  fileName: string;
  format: ExportFormat;
  stream: ReadableStream<Uint8Array>;
}

/** An export written to its destination. */
export interface AnalyticsExportFile {
  /** The configured export directory joined with the destination. */
  path: string;
  format: ExportFormat;
  rows: number;
  bytes: number;
}

export interface AnalyticsServiceOptions {
  /** (Default: ANALYTICS_QUERY_LIMITS) */
  limits?: Partial<QueryLimits>;
  /** (Default: ANALYTICS_EXPORT_DEFAULTS) */
  exports?: Partial<AnalyticsExportOptions>;
  /** (Default: the system clock) */
  clock?: () => Date;
}

/**
 * Analytics read from DuckDB facts (src/analytics/analytics-schema.ts), always for the caller's tenant: the
 * ad-hoc query path (see analytics-query.ts for its safety) and the structured reads Mahavishnu polls.
 * The facts are filled by the analytics sync, so they lag the primary store by up to a sync interval: every
 * structured answer says how current it is (`dataAsOf`).
 */
export class AnalyticsService {
  private readonly limits: QueryLimits;
  private readonly clock: () => Date;
  private readonly exports: AnalyticsExportOptions;
  private exportRoot: Promise<string> | undefined;

  constructor(
    private readonly database: AnalyticsDatabase,
    options: AnalyticsServiceOptions = {},
  ) {
    this.limits = { ...ANALYTICS_QUERY_LIMITS, ...options.limits };
    this.clock = options.clock ?? (() => new Date());
    this.exports = { ...ANALYTICS_EXPORT_DEFAULTS, ...options.exports };
  }

  /** Runs one read-only SELECT/WITH over the caller's tenant views, within the caps. */
  async query(principal: Principal, input: AnalyticsQueryInput): Promise<AnalyticsQueryResult> {
    const started = performance.now();
    const result = await this.withInstance((instance) =>
      runReadOnlyQuery(instance, principal.tenantId, input.sql, input.params, {
        ...this.limits,
        maxRows: Math.min(input.limit, this.limits.maxRows),
      }),
    );
    return {
      columns: result.columns,
      rows: result.rows,
      rowCount: result.rows.length,
      truncated: result.truncated,
      elapsedMs: Math.round((performance.now() - started) * 10) / 10,
    };
  }

  /** One session's activity: messages and characters per role, duration, linked reflections, per-day activity. */
  async sessionAnalytics(principal: Principal, sessionId: string): Promise<SessionAnalytics> {
    return this.read(async (c) => {
      const args = [principal.tenantId, sessionId];
      const [session] = await rows(
        c,
        `SELECT project, name, status, epoch_ms(created_at)::DOUBLE AS created, epoch_ms(updated_at)::DOUBLE AS updated
         FROM facts.sessions WHERE tenant_id = $1 AND id = $2`,
        args,
      );
      if (!session) throw new NotFoundError('session', sessionId);
      // From the daily rollup (facts.message_days): one row per day of the session.
      const roleColumns = MESSAGE_ROLES.map(
        (r) => `sum(${r}_messages)::DOUBLE AS ${r}_messages, sum(${r}_chars)::DOUBLE AS ${r}_chars`,
      ).join(', ');
      const [totals] = await rows(
        c,
        `SELECT count(*)::DOUBLE AS days, ${roleColumns},
                epoch_ms(min(first_at))::DOUBLE AS first, epoch_ms(max(last_at))::DOUBLE AS last
         FROM facts.message_days WHERE tenant_id = $1 AND session_id = $2`,
        args,
      );
      const perDay = await rows(
        c,
        `SELECT strftime(day, '%Y-%m-%d') AS day, sum(messages)::DOUBLE AS messages, sum(chars)::DOUBLE AS chars
         FROM facts.message_days WHERE tenant_id = $1 AND session_id = $2 GROUP BY day ORDER BY day`,
        args,
      );
      const [reflections] = await rows(
        c,
        'SELECT count(*)::DOUBLE AS n FROM facts.reflections WHERE tenant_id = $1 AND session_id = $2',
        args,
      );
      const byRole = Object.fromEntries(MESSAGE_ROLES.map((r) => [r, { messages: 0, chars: 0 }])) as Record<
        MessageRole,
        { messages: number; chars: number }
      >;
      let messages = 0;
      let chars = 0;
      for (const role of MESSAGE_ROLES) {
        byRole[role] = { messages: num(totals?.[`${role}_messages`]), chars: num(totals?.[`${role}_chars`]) };
        messages += byRole[role].messages;
        chars += byRole[role].chars;
      }
      const hasMessages = num(totals?.days) > 0;
      const first = hasMessages ? num(totals?.first) : null;
      const last = hasMessages ? num(totals?.last) : null;
      return {
        sessionId,
        project: String(session.project),
        name: String(session.name),
        status: String(session.status),
        messages,
        chars,
        byRole,
        firstMessageAt: first === null ? null : iso(first),
        lastMessageAt: last === null ? null : iso(last),
        durationSeconds: first === null || last === null ? null : (last - first) / 1000,
        reflections: num(reflections?.n),
        perDay: perDay.map((d) => ({ day: String(d.day), messages: num(d.messages), chars: num(d.chars) })),
        createdAt: iso(num(session.created)),
        updatedAt: iso(num(session.updated)),
        dataAsOf: await dataAsOf(c, ['sessions', 'messages', 'reflections']),
      };
    });
  }

  /**
   * Activity of the caller's tenant over the last `days` UTC days (today included): sessions, messages,
   * reflections and dead letters per day, messages per role, the busiest projects.
   */
  async activitySummary(principal: Principal, input: ActivitySummaryInput): Promise<ActivitySummary> {
    const today = Math.floor(this.clock().getTime() / DAY_MS) * DAY_MS;
    const fromMs = today - (input.days - 1) * DAY_MS;
    const days = Array.from({ length: input.days }, (_, i) => dayOf(fromMs + i * DAY_MS));
    const project = input.project ?? null;
    return this.read(async (c) => {
      const args = [principal.tenantId, new Date(fromMs).toISOString(), project];
      const inWindow = (column: string, withProject = true) =>
        `tenant_id = $1 AND ${column} >= $2::TIMESTAMPTZ` +
        (withProject ? ' AND ($3::VARCHAR IS NULL OR project = $3)' : '');
      const perDay = async (table: FactTable, column: string, withProject = true) =>
        new Map(
          (
            await rows(
              c,
              `SELECT ${utcDay(column)} AS day, count(*)::DOUBLE AS n FROM facts.${table}
               WHERE ${inWindow(column, withProject)} GROUP BY day`,
              withProject ? args : args.slice(0, 2),
            )
          ).map((r) => [String(r.day), num(r.n)]),
        );
      // Messages from their daily rollup (facts.message_days): the window is whole UTC days.
      const dayArgs = [principal.tenantId, dayOf(fromMs), project];
      const inDays = 'tenant_id = $1 AND day >= $2::DATE AND ($3::VARCHAR IS NULL OR project = $3)';
      const sessions = await perDay('sessions', 'created_at');
      const messages = new Map(
        (
          await rows(
            c,
            `SELECT strftime(day, '%Y-%m-%d') AS day, sum(messages)::DOUBLE AS n FROM facts.message_days
             WHERE ${inDays} GROUP BY day`,
            dayArgs,
          )
        ).map((r) => [String(r.day), num(r.n)]),
      );
      const reflections = await perDay('reflections', 'created_at');
      const deadLetters = await perDay('dead_letters', 'failed_at', false);
      const [roles] = await rows(
        c,
        `SELECT ${MESSAGE_ROLES.map((r) => `sum(${r}_messages)::DOUBLE AS ${r}`).join(', ')},
                count(DISTINCT session_id)::DOUBLE AS active
         FROM facts.message_days WHERE ${inDays}`,
        dayArgs,
      );
      const top = await rows(
        c,
        `SELECT project, count(DISTINCT session_id)::DOUBLE AS sessions, sum(messages)::DOUBLE AS messages
         FROM facts.message_days WHERE ${inDays}
         GROUP BY project ORDER BY messages DESC, project LIMIT ${TOP_PROJECTS}`,
        dayArgs,
      );
      const messagesByRole = Object.fromEntries(MESSAGE_ROLES.map((r) => [r, num(roles?.[r])])) as Record<
        MessageRole,
        number
      >;
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      return {
        project,
        days: input.days,
        from: days[0] as string,
        to: days[days.length - 1] as string,
        totals: {
          sessions: sum(sessions),
          messages: sum(messages),
          reflections: sum(reflections),
          deadLetters: sum(deadLetters),
          activeSessions: num(roles?.active),
        },
        perDay: days.map((day) => ({
          day,
          sessions: sessions.get(day) ?? 0,
          messages: messages.get(day) ?? 0,
          reflections: reflections.get(day) ?? 0,
          deadLetters: deadLetters.get(day) ?? 0,
        })),
        messagesByRole,
        topProjects: top.map((r) => ({
          project: String(r.project),
          sessions: num(r.sessions),
          messages: num(r.messages),
        })),
        dataAsOf: await dataAsOf(c, ['sessions', 'messages', 'reflections', 'dead_letters']),
      };
    });
  }

  /**
   * Insights over the last `days` UTC days: trends against the previous period, recurring topics and patterns,
   * anomalies against the project's own baseline and recommendations citing their evidence (see insights.ts).
   */
  async insights(principal: Principal, input: InsightsInput): Promise<Insights> {
    return this.read((c) => insights(c, principal, input, this.clock()));
  }

  /** Per workflow (sessions sharing a workflow id in their metadata): sessions, status, messages, timing. */
  async workflowMetrics(principal: Principal, input: WorkflowMetricsInput): Promise<WorkflowMetrics> {
    return this.read((c) => workflowMetrics(c, principal, input, this.clock()));
  }

  /**
   * `dataset` or `sql` of the caller's tenant as CSV, JSON Lines or Parquet (see analytics-export.ts): streamed
   * (`stream`, pulled as it is read), or written to `destination` inside the export directory. `onProgress` hears
   * rows and bytes as they are produced (CSV/JSON per chunk, Parquet once written).
   */
  async export(
    principal: Principal,
    input: AnalyticsExportInput,
    options: { onProgress?: ExportProgressListener } = {},
  ): Promise<AnalyticsExportStream | AnalyticsExportFile> {
    const query = exportQuery(input);
    // A stream's connection keeps the instance open after this returns, until the stream ends.
    return this.withInstance((instance) => this.exportWith(instance, principal, input, query, options));
  }

  private async exportWith(
    instance: DuckDBInstance,
    principal: Principal,
    input: AnalyticsExportInput,
    query: ExportQuery,
    options: { onProgress?: ExportProgressListener },
  ): Promise<AnalyticsExportStream | AnalyticsExportFile> {
    const root = await this.root();
    const limits = { maxRows: this.exports.maxRows, timeoutMs: this.exports.timeoutMs };
    const target = input.destination && (await resolveDestination(root, input.destination, input.overwrite));
    const fileResult = (file: string, rows: number, bytes: number): AnalyticsExportFile => ({
      path: join(this.exports.dir, relative(root, file)),
      format: input.format,
      rows,
      bytes,
    });
    if (input.format === 'parquet') {
      const staging = stagingFile(target ? target.directory : root, 'parquet');
      const rows = await copyParquet(instance, principal.tenantId, query, staging, limits);
      const bytes = (await stat(staging)).size;
      options.onProgress?.({ rows, bytes });
      if (!target) return this.download(input, await streamAndDelete(staging));
      await publishFile(staging, target.file, input.overwrite).catch(async (error: unknown) => {
        await removeQuietly(staging);
        throw error;
      });
      return fileResult(target.file, rows, bytes);
    }
    let rows = 0;
    const stream = await rowStream(instance, principal.tenantId, query, input.format, limits, (progress) => {
      rows = progress.rows;
      options.onProgress?.(progress);
    });
    if (!target) return this.download(input, stream);
    const bytes = await writeStreamToFile(stream, target.file, target.directory, input.format, input.overwrite);
    return fileResult(target.file, rows, bytes);
  }

  /**
   * An export returned as text (MCP, CLI calls that do not stream): CSV or JSON Lines up to `maxBytes`, with the
   * rows it holds; over the cap, or Parquet, it must go to a `destination` file instead (400 naming it).
   */
  async exportInline(
    principal: Principal,
    input: AnalyticsExportInput,
    maxBytes: number,
  ): Promise<AnalyticsExportResult> {
    const needsFile = (message: string) =>
      new ValidationError(`Invalid input: destination: ${message}`, [{ field: 'destination', message }]);
    if (input.format === 'parquet') {
      throw needsFile('is required for parquet here (a file name in analytics.exportDir); REST streams parquet');
    }
    let rows = 0;
    const result = await this.export(
      principal,
      { ...input, destination: undefined },
      {
        onProgress: (progress) => {
          rows = progress.rows;
        },
      },
    );
    if (!('stream' in result)) throw new Error('an export without destination is streamed');
    const content = await readText(result.stream, maxBytes);
    if (content === undefined) {
      throw needsFile(`export is over ${maxBytes} bytes: pass destination to write it to a file`);
    }
    return { format: input.format, rows, bytes: Buffer.byteLength(content), path: null, content };
  }

  private download(input: AnalyticsExportInput, stream: ReadableStream<Uint8Array>): AnalyticsExportStream {
    const stamp = this.clock()
      .toISOString()
      .replace(/[-:]|\.\d+/g, '');
    return {
      contentType: EXPORT_CONTENT_TYPES[input.format],
      fileName: `${input.dataset ?? 'query'}-${stamp}.${EXPORT_EXTENSIONS[input.format]}`,
      format: input.format,
      stream,
    };
  }

  /** The export directory's real path, created on first use. */
  private root(): Promise<string> {
    this.exportRoot ??= exportRoot(this.exports.dir).catch((error: unknown) => {
      this.exportRoot = undefined;
      throw new UnavailableError(`export directory ${this.exports.dir} is unavailable: ${(error as Error).message}`);
    });
    return this.exportRoot;
  }

  /**
   * Runs `fn` with the DuckDB instance, locked down (see lockDownInstance) with the export directory as the one
   * place the application's own COPY may write (and the writer's staging directory, which its bulk loads read), and
   * kept open while `fn` runs (AnalyticsDatabase.lease); a file
   * held by another process is a 503 naming it.
   */
  private async withInstance<T>(fn: (instance: DuckDBInstance) => Promise<T>): Promise<T> {
    let opened = false;
    const locked = async (instance: DuckDBInstance): Promise<T> => {
      opened = true;
      const staging = this.database.stagingDir;
      await lockDownInstance(instance, [await this.root(), ...(staging ? [staging] : [])]);
      return fn(instance);
    };
    try {
      return await (this.database.lease ? this.database.lease(locked) : this.database.ready().then(locked));
    } catch (error) {
      if (opened) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError(`analytics are unavailable: ${message}`);
    }
  }

  /** Runs trusted reads on a connection of their own, closed afterwards. */
  private read<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.withInstance(async (instance) => {
      const connection = await instance.connect();
      try {
        return await fn(connection);
      } finally {
        connection.closeSync();
      }
    });
  }
}

/** The query of an export: exactly one of `dataset` (with its filters) and `sql` (with its params). */
function exportQuery(input: AnalyticsExportInput): ExportQuery {
  const refuse = (field: string, message: string) =>
    new ValidationError(`Invalid input: ${field}: ${message}`, [{ field, message }]);
  if ((input.dataset === undefined) === (input.sql === undefined)) {
    throw refuse('dataset', 'give exactly one of dataset and sql');
  }
  if (input.sql !== undefined) {
    const filter = (['project', 'from', 'to'] as const).find((key) => input[key] !== undefined);
    if (filter) throw refuse(filter, 'applies to dataset exports only; filter in the SQL instead');
    return { sql: input.sql, params: input.params };
  }
  if (input.params.length > 0) throw refuse('params', 'apply to sql exports only');
  return datasetQuery(input.dataset as FactTable, input);
}
