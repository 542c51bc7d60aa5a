import type { DuckDBConnection } from '@duckdb/node-api';
import type { Principal } from '../../core/principal.js';
import {
  ANOMALY_METRICS,
  type Anomaly,
  INSIGHT_DAYS_DEFAULT,
  type Insights,
  type InsightsInput,
} from '../../domain/analytics.model.js';
import { BASELINE_DAYS, findAnomalies } from './anomalies.js';
import { DAY_MS, dataAsOf, dayOf, dayWindow, epochDay, iso, num, type Row, rows, utcDay } from './facts-sql.js';
import { evidence, type RecommendationFacts, recommend, STALE_DAYS } from './recommendations.js';
import { recurringTopics } from './topics.js';

const TOP_ERROR_SESSIONS = 10;
const PATTERNS = 20;
const BY_JOB = 20;

type Metric = (typeof ANOMALY_METRICS)[number];

/**
 * get_insights over the facts of one tenant (and project; messages through their daily rollup, facts.message_days): activity and error trends of the period against the
 * previous one, recurring topics and patterns, anomalies against the project's trailing baseline and
 * recommendations citing their evidence. Deterministic: the same facts and clock give the same answer.
 */
export async function insights(
  c: DuckDBConnection,
  principal: Principal,
  input: InsightsInput,
  now: Date,
): Promise<Insights> {
  const days = input.days ?? input.period ?? INSIGHT_DAYS_DEFAULT;
  const project = input.project ?? null;
  const period = dayWindow(now, days);
  const endMs = period.fromMs + days * DAY_MS;
  const prevFromMs = period.fromMs - days * DAY_MS;
  // One series from the start of the earlier of the previous period and the first day's baseline.
  const scanFromMs = Math.min(prevFromMs, period.fromMs - BASELINE_DAYS * DAY_MS);
  const scanDays = Math.round((endMs - scanFromMs) / DAY_MS);
  const series = dayWindow(now, scanDays).days;
  const first = scanDays - days;
  const t = principal.tenantId;
  const p = [t, iso(scanFromMs), iso(endMs), project];
  const where = (column: string) =>
    `tenant_id = $1 AND ${column} >= $2::TIMESTAMPTZ AND ${column} < $3::TIMESTAMPTZ AND ($4::VARCHAR IS NULL OR project = $4)`;
  // The message rollup: whole UTC days, the same window.
  const pDays = [t, dayOf(scanFromMs), dayOf(endMs), project];
  const whereDays = `tenant_id = $1 AND day >= $2::DATE AND day < $3::DATE AND ($4::VARCHAR IS NULL OR project = $4)`;
  const whereAll = (column: string) =>
    `tenant_id = $1 AND ${column} >= $2::TIMESTAMPTZ AND ${column} < $3::TIMESTAMPTZ`;

  const byDay = (list: Row[], key: string) => new Map(list.map((r) => [dayOf(num(r.day) * DAY_MS), num(r[key])]));
  const messageRows = await rows(
    c,
    `SELECT (day - DATE '1970-01-01')::DOUBLE AS day, sum(messages)::DOUBLE AS messages,
            count(DISTINCT session_id)::DOUBLE AS active, sum(errors)::DOUBLE AS errors
     FROM facts.message_days WHERE ${whereDays} GROUP BY day`,
    pDays,
  );
  const sessionRows = await rows(
    c,
    `SELECT ${epochDay('created_at')} AS day, count(*)::DOUBLE AS n FROM facts.sessions WHERE ${where('created_at')} GROUP BY day`,
    p,
  );
  const reflectionRows = await rows(
    c,
    `SELECT ${epochDay('created_at')} AS day, count(*)::DOUBLE AS n FROM facts.reflections WHERE ${where('created_at')} GROUP BY day`,
    p,
  );
  const deadLetterRows = await rows(
    c,
    `SELECT ${epochDay('failed_at')} AS day, count(*)::DOUBLE AS n FROM facts.dead_letters WHERE ${whereAll('failed_at')} GROUP BY day`,
    p.slice(0, 3),
  );
  const counts = {
    messages: byDay(messageRows, 'messages'),
    activeSessions: byDay(messageRows, 'active'),
    errorMessages: byDay(messageRows, 'errors'),
    sessions: byDay(sessionRows, 'n'),
    reflections: byDay(reflectionRows, 'n'),
    deadLetters: byDay(deadLetterRows, 'n'),
  };
  const valuesOf = (m: Map<string, number>) => series.map((d) => m.get(d) ?? 0);
  const sumOf = (m: Map<string, number>, from: number, to: number) =>
    valuesOf(m)
      .slice(from, to)
      .reduce((a, b) => a + b, 0);
  const changeOf = (m: Map<string, number>, current?: number, previous?: number) => {
    const cur = current ?? sumOf(m, first, scanDays);
    const prev = previous ?? sumOf(m, first - days, first);
    return { current: cur, previous: prev, percent: prev === 0 ? null : Math.round(((cur - prev) / prev) * 1000) / 10 };
  };
  const [distinct] = await rows(
    c,
    `SELECT count(DISTINCT session_id) FILTER (WHERE day >= $5::DATE)::DOUBLE AS cur,
            count(DISTINCT session_id) FILTER (WHERE day < $5::DATE AND day >= $6::DATE)::DOUBLE AS prev
     FROM facts.message_days WHERE ${whereDays}`,
    [...pDays, dayOf(period.fromMs), dayOf(prevFromMs)],
  );

  const inPeriod = [t, iso(period.fromMs), iso(endMs), project];
  const inPeriodDays = [t, dayOf(period.fromMs), dayOf(endMs), project];
  const topErrorSessions = await rows(
    c,
    `WITH e AS (
       SELECT session_id, sum(errors)::DOUBLE AS n FROM facts.message_days WHERE ${whereDays} AND errors > 0
       GROUP BY session_id ORDER BY n DESC, session_id LIMIT ${TOP_ERROR_SESSIONS})
     SELECT session_id, n, (SELECT count(*) FROM facts.reflections r
                            WHERE r.tenant_id = $1 AND r.session_id = e.session_id)::DOUBLE AS reflections
     FROM e ORDER BY n DESC, session_id`,
    inPeriodDays,
  );
  const byJob = await rows(
    c,
    `SELECT queue, job_name, count(*)::DOUBLE AS n, count(*) FILTER (WHERE status = 'open')::DOUBLE AS open,
            epoch_ms(max(failed_at))::DOUBLE AS last, left(arg_max(error, failed_at), 200) AS error,
            list(id ORDER BY failed_at DESC, id)[1:10] AS ids
     FROM facts.dead_letters WHERE ${whereAll('failed_at')}
     GROUP BY queue, job_name ORDER BY n DESC, queue, job_name LIMIT ${BY_JOB}`,
    inPeriod.slice(0, 3),
  );
  const sessionTexts = await rows(
    c,
    `WITH firsts AS (
       SELECT session_id, arg_min(first_user_goal, first_user_seq) AS goal FROM facts.message_days
       WHERE ${whereDays} AND first_user_seq IS NOT NULL GROUP BY session_id)
     SELECT s.id, s.name, coalesce(f.goal, '') AS goal FROM facts.sessions s
     LEFT JOIN firsts f ON f.session_id = s.id
     WHERE s.tenant_id = $1 AND ($4::VARCHAR IS NULL OR s.project = $4)
       AND (f.session_id IS NOT NULL OR (s.created_at >= $5::TIMESTAMPTZ AND s.created_at < $6::TIMESTAMPTZ))
     ORDER BY s.updated_at DESC, s.id`,
    [...inPeriodDays, iso(period.fromMs), iso(endMs)],
  );
  const tagged = await rows(
    c,
    `SELECT session_id, tags FROM facts.reflections WHERE ${where('created_at')} AND len(tags) > 0 ORDER BY id`,
    inPeriod,
  );
  const patterns = await rows(
    c,
    `SELECT id, name, kind, source, tags, coalesce(occurrences, 0)::DOUBLE AS occurrences,
            epoch_ms(created_at)::DOUBLE AS created, epoch_ms(updated_at)::DOUBLE AS updated
     FROM facts.patterns WHERE tenant_id = $1 AND updated_at >= $2::TIMESTAMPTZ AND updated_at < $3::TIMESTAMPTZ
       AND ($4::VARCHAR IS NULL OR project = $4 OR project = '')
     ORDER BY occurrences DESC, kind = 'recurring-error' DESC, updated_at DESC, id LIMIT ${PATTERNS}`,
    inPeriod,
  );

  const anomalies = await detectAnomalies(c, principal, project, series, first, counts);
  const staleBefore = Math.floor(now.getTime() / DAY_MS) * DAY_MS - STALE_DAYS * DAY_MS;
  const stale = await rows(
    c,
    `SELECT id, ${utcDay('updated_at')} AS day, count(*) OVER ()::DOUBLE AS total FROM facts.sessions
     WHERE tenant_id = $1 AND status = 'active' AND updated_at < $2::TIMESTAMPTZ AND ($3::VARCHAR IS NULL OR project = $3)
     ORDER BY updated_at, id LIMIT 10`,
    [t, iso(staleBefore), project],
  );

  const result: RecommendationFacts['insights'] = {
    project,
    days,
    from: period.days[0] as string,
    to: period.days[days - 1] as string,
    previousFrom: dayOf(prevFromMs),
    activity: {
      perDay: series.slice(first).map((day) => ({
        day,
        sessions: counts.sessions.get(day) ?? 0,
        messages: counts.messages.get(day) ?? 0,
        reflections: counts.reflections.get(day) ?? 0,
        activeSessions: counts.activeSessions.get(day) ?? 0,
      })),
      change: {
        sessions: changeOf(counts.sessions),
        messages: changeOf(counts.messages),
        reflections: changeOf(counts.reflections),
        activeSessions: changeOf(counts.activeSessions, num(distinct?.cur), num(distinct?.prev)),
      },
    },
    errors: {
      perDay: series.slice(first).map((day) => ({
        day,
        deadLetters: counts.deadLetters.get(day) ?? 0,
        errorMessages: counts.errorMessages.get(day) ?? 0,
      })),
      change: { deadLetters: changeOf(counts.deadLetters), errorMessages: changeOf(counts.errorMessages) },
      byJob: byJob.map((r) => ({
        queue: String(r.queue),
        jobName: String(r.job_name),
        deadLetters: num(r.n),
        open: num(r.open),
        lastFailedAt: iso(num(r.last)),
        lastError: String(r.error),
        deadLetterIds: (r.ids as string[]).map(String),
      })),
      topSessions: topErrorSessions.map((r) => ({ sessionId: String(r.session_id), errorMessages: num(r.n) })),
    },
    topics: recurringTopics(
      sessionTexts.map((r) => ({ sessionId: String(r.id), text: `${r.name}\n${r.goal}` })),
      tagged.map((r) => ({ sessionId: r.session_id == null ? null : String(r.session_id), tags: r.tags as string[] })),
    ),
    patterns: patterns.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      kind: String(r.kind),
      source: String(r.source),
      tags: (r.tags as string[]).map(String),
      occurrences: num(r.occurrences),
      createdAt: iso(num(r.created)),
      updatedAt: iso(num(r.updated)),
    })),
    anomalies,
  };
  const recommendations = recommend({
    insights: result,
    errorSessions: topErrorSessions.map((r) => ({
      sessionId: String(r.session_id),
      errorMessages: num(r.n),
      reflections: num(r.reflections),
    })),
    stale: {
      sessionIds: stale.map((r) => String(r.id)),
      count: num(stale[0]?.total),
      days: [...new Set(stale.map((r) => String(r.day)))],
    },
  });
  return {
    ...result,
    recommendations,
    dataAsOf: await dataAsOf(c, ['sessions', 'messages', 'reflections', 'patterns', 'dead_letters']),
  };
}

/** Anomalies of each metric in the period, with the sessions or dead letters of the day as evidence. */
async function detectAnomalies(
  c: DuckDBConnection,
  principal: Principal,
  project: string | null,
  series: readonly string[],
  first: number,
  counts: Record<Metric, Map<string, number>>,
): Promise<Anomaly[]> {
  const [start] = await rows(
    c,
    `SELECT ${utcDay('min(created_at)')} AS day FROM facts.sessions
     WHERE tenant_id = $1 AND ($2::VARCHAR IS NULL OR project = $2)`,
    [principal.tenantId, project],
  );
  if (!start?.day) return [];
  const startIndex = series.indexOf(String(start.day));
  // History older than the series: every day of it is baseline.
  const historyStart = startIndex === -1 ? (String(start.day) < (series[0] as string) ? 0 : series.length) : startIndex;
  const out: Anomaly[] = [];
  for (const metric of ANOMALY_METRICS) {
    const values = series.map((d) => counts[metric].get(d) ?? 0);
    const drops = metric === 'messages' || metric === 'sessions';
    for (const s of findAnomalies(values, first, historyStart, drops)) {
      const day = series[s.index] as string;
      out.push({
        day,
        metric,
        value: s.value,
        baselineMedian: s.median,
        baselineMad: s.mad,
        baselineDays: s.baselineDays,
        robustZ: s.z,
        direction: s.direction,
        evidence: await dayEvidence(c, principal, project, metric, day, s),
      });
    }
  }
  return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** The sessions (or dead letters) behind one day's figure, most first. */
async function dayEvidence(
  c: DuckDBConnection,
  principal: Principal,
  project: string | null,
  metric: Metric,
  day: string,
  s: { value: number; median: number },
) {
  const from = `${day}T00:00:00Z`;
  const to = iso(Date.parse(from) + DAY_MS);
  const args = [principal.tenantId, from, to, project];
  const scope = `tenant_id = $1 AND created_at >= $2::TIMESTAMPTZ AND created_at < $3::TIMESTAMPTZ AND ($4::VARCHAR IS NULL OR project = $4)`;
  const counts = { value: s.value, baselineMedian: s.median };
  if (metric === 'deadLetters') {
    const ids = await rows(
      c,
      `SELECT id FROM facts.dead_letters WHERE tenant_id = $1 AND failed_at >= $2::TIMESTAMPTZ AND failed_at < $3::TIMESTAMPTZ
       ORDER BY failed_at DESC, id LIMIT 10`,
      args.slice(0, 3),
    );
    return evidence({ deadLetterIds: ids.map((r) => String(r.id)), days: [day], counts });
  }
  const ids =
    metric === 'sessions'
      ? await rows(
          c,
          `SELECT id AS session_id FROM facts.sessions WHERE ${scope} ORDER BY created_at, id LIMIT 10`,
          args,
        )
      : await rows(
          c,
          `SELECT session_id, sum(${metric === 'errorMessages' ? 'errors' : 'messages'}) AS n FROM facts.message_days
           WHERE tenant_id = $1 AND day = $2::DATE AND ($3::VARCHAR IS NULL OR project = $3)
             ${metric === 'errorMessages' ? 'AND errors > 0' : ''}
           GROUP BY session_id ORDER BY n DESC, session_id LIMIT 10`,
          [principal.tenantId, day, project],
        );
  return evidence({ sessionIds: ids.map((r) => String(r.session_id)), days: [day], counts });
}
