import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { type QueryLimits, runReadOnlyQuery } from '../analytics/analytics-query.js';
import type { FactTable } from '../analytics/analytics-schema.js';
import { ANALYTICS_QUERY_DEFAULTS } from '../config/config.schema.js';
import { NotFoundError, UnavailableError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type {
  ActivitySummary,
  ActivitySummaryInput,
  AnalyticsQueryInput,
  AnalyticsQueryResult,
  SessionAnalytics,
} from '../domain/analytics.model.js';
import { MESSAGE_ROLES, type MessageRole } from '../domain/message.model.js';

/** The DuckDB analytics database as this service needs it (AnalyticsStore is one). */
export interface AnalyticsDatabase {
  /** The instance, opened (with the fact schema) on first use. */
  ready(): Promise<DuckDBInstance>;
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
export const ANALYTICS_READS = ['query', 'sessionAnalytics', 'activitySummary'] as const;

export type AnalyticsReadName = (typeof ANALYTICS_READS)[number];

/** What every analytics implementation answers: the local service, or RemoteAnalytics in an API process. */
export type AnalyticsReads = Pick<AnalyticsService, AnalyticsReadName>;

/** Projects get_activity_summary lists at most. */
const TOP_PROJECTS = 10;

const DAY_MS = 86_400_000;

export interface AnalyticsServiceOptions {
  /** (Default: ANALYTICS_QUERY_LIMITS) */
  limits?: Partial<QueryLimits>;
  /** (Default: the system clock) */
  clock?: () => Date;
}

type Row = Record<string, unknown>;

/**
 * Analytics read from DuckDB facts (src/analytics/analytics-schema.ts), always for the caller's tenant: the
 * ad-hoc query path (see analytics-query.ts for its safety) and the structured reads Mahavishnu polls.
 * The facts are filled by the analytics sync, so they lag the primary store by up to a sync interval: every
 * structured answer says how current it is (`dataAsOf`).
 */
export class AnalyticsService {
  private readonly limits: QueryLimits;
  private readonly clock: () => Date;

  constructor(
    private readonly database: AnalyticsDatabase,
    options: AnalyticsServiceOptions = {},
  ) {
    this.limits = { ...ANALYTICS_QUERY_LIMITS, ...options.limits };
    this.clock = options.clock ?? (() => new Date());
  }

  /** Runs one read-only SELECT/WITH over the caller's tenant views, within the caps. */
  async query(principal: Principal, input: AnalyticsQueryInput): Promise<AnalyticsQueryResult> {
    const instance = await this.instance();
    const started = performance.now();
    const result = await runReadOnlyQuery(instance, principal.tenantId, input.sql, input.params, {
      ...this.limits,
      maxRows: Math.min(input.limit, this.limits.maxRows),
    });
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
      const byRoleRows = await rows(
        c,
        `SELECT role, count(*)::DOUBLE AS messages, coalesce(sum(chars), 0)::DOUBLE AS chars,
                epoch_ms(min(created_at))::DOUBLE AS first, epoch_ms(max(created_at))::DOUBLE AS last
         FROM facts.messages WHERE tenant_id = $1 AND session_id = $2 GROUP BY role`,
        args,
      );
      const perDay = await rows(
        c,
        `SELECT ${utcDay('created_at')} AS day, count(*)::DOUBLE AS messages, coalesce(sum(chars), 0)::DOUBLE AS chars
         FROM facts.messages WHERE tenant_id = $1 AND session_id = $2 GROUP BY day ORDER BY day`,
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
      let first: number | null = null;
      let last: number | null = null;
      for (const row of byRoleRows) {
        const role = row.role as MessageRole;
        if (byRole[role]) byRole[role] = { messages: num(row.messages), chars: num(row.chars) };
        messages += num(row.messages);
        chars += num(row.chars);
        first = first === null ? num(row.first) : Math.min(first, num(row.first));
        last = last === null ? num(row.last) : Math.max(last, num(row.last));
      }
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
      const sessions = await perDay('sessions', 'created_at');
      const messages = await perDay('messages', 'created_at');
      const reflections = await perDay('reflections', 'created_at');
      const deadLetters = await perDay('dead_letters', 'failed_at', false);
      const roles = await rows(
        c,
        `SELECT role, count(*)::DOUBLE AS n FROM facts.messages WHERE ${inWindow('created_at')} GROUP BY role`,
        args,
      );
      const [active] = await rows(
        c,
        `SELECT count(DISTINCT session_id)::DOUBLE AS n FROM facts.messages WHERE ${inWindow('created_at')}`,
        args,
      );
      const top = await rows(
        c,
        `SELECT project, count(DISTINCT session_id)::DOUBLE AS sessions, count(*)::DOUBLE AS messages
         FROM facts.messages WHERE ${inWindow('created_at')}
         GROUP BY project ORDER BY messages DESC, project LIMIT ${TOP_PROJECTS}`,
        args,
      );
      const messagesByRole = Object.fromEntries(MESSAGE_ROLES.map((r) => [r, 0])) as Record<MessageRole, number>;
      for (const row of roles)
        if ((row.role as string) in messagesByRole) messagesByRole[row.role as MessageRole] = num(row.n);
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
          activeSessions: num(active?.n),
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

  /** The DuckDB instance; a file held by another process is a 503 naming it. */
  private async instance(): Promise<DuckDBInstance> {
    try {
      return await this.database.ready();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError(`analytics are unavailable: ${message}`);
    }
  }

  /** Runs trusted reads on a connection of their own, closed afterwards. */
  private async read<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await (await this.instance()).connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  }
}

async function rows(connection: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<Row[]> {
  return (await connection.runAndReadAll(sql, params)).getRowObjectsJson() as Row[];
}

/** A TIMESTAMPTZ column's UTC day as YYYY-MM-DD, whatever the connection's time zone. */
function utcDay(column: string): string {
  return `strftime(${column} AT TIME ZONE 'UTC', '%Y-%m-%d')`;
}

function num(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function dayOf(ms: number): string {
  return iso(ms).slice(0, 10);
}

/**
 * The oldest `synced_at` of these facts: the sync had read everything written before it. Null while one of them
 * has not caught up (no state yet, or the epoch the sync writes before it first reaches the end).
 */
async function dataAsOf(connection: DuckDBConnection, facts: readonly FactTable[]): Promise<string | null> {
  const state = await rows(
    connection,
    `SELECT fact, epoch_ms(synced_at)::DOUBLE AS synced FROM facts.sync_state WHERE fact IN (${facts.map((f) => `'${f}'`).join(', ')})`,
    [],
  );
  const synced = new Map(state.map((r) => [String(r.fact), num(r.synced)]));
  let oldest = Number.POSITIVE_INFINITY;
  for (const fact of facts) {
    const ms = synced.get(fact);
    if (!ms) return null;
    oldest = Math.min(oldest, ms);
  }
  return iso(oldest);
}
