import { isSessionBuddyError } from '../../core/errors.js';
import type { Principal } from '../../core/principal.js';
import { parseInput } from '../../core/validate.js';
import {
  type ActivitySummary,
  activitySummaryInput,
  analyticsQueryInput,
  INSIGHT_DAYS_DEFAULT,
  type Insights,
  insightsInput,
} from '../../domain/analytics.model.js';
import { MESSAGE_ROLES } from '../../domain/message.model.js';
import type { AnalyticsReads } from '../../services/analytics.service.js';
import { excerpt, type Html, html, layout, shortTime } from './html.js';
import { type Bar, barChart, lineChart, PALETTE } from './svg-charts.js';

export const ANALYTICS_PAGE = '/admin/analytics';

/** The filter form's fields, as strings from the query string; empty means the default. */
export interface AnalyticsFilter {
  /** Whose data (operators may look at any tenant); empty: `auth.defaultTenant`. */
  tenant: string;
  project: string;
  /** As get_insights takes it: `14`, `14d`, `2w`, `week`, `month`, `quarter`, `year`. Empty: 30 days. */
  period: string;
}

type Section<T> = { ok: true; value: T } | { ok: false; error: string; status: number };

export interface AnalyticsView {
  filter: AnalyticsFilter;
  queueDashboard: boolean;
  /** The filter was refused (400); nothing was read. */
  filterError?: string;
  tenant?: string;
  days?: number;
  activity?: Section<ActivitySummary>;
  insights?: Section<Insights>;
  patternKinds?: Section<Bar[]>;
}

/** Patterns created or re-detected in the window, per kind; through the same read as query_analytics. */
const PATTERN_KINDS_SQL = `SELECT kind, count(*) AS patterns FROM patterns
WHERE updated_at >= $1::TIMESTAMPTZ AND ($2::VARCHAR IS NULL OR project = $2)
GROUP BY kind ORDER BY patterns DESC, kind LIMIT 20`;

/**
 * Reads what the page shows through the analytics reads the operations use (get_activity_summary, get_insights,
 * query_analytics), so in standard mode they go to the analytics owner like any other read. A read that fails
 * leaves its section with the reason (e.g. the 503 naming the missing owner); the others still show.
 */
export async function loadAnalyticsView(
  reads: AnalyticsReads,
  filter: AnalyticsFilter,
  defaultTenant: string,
  queueDashboard: boolean,
): Promise<AnalyticsView> {
  const view: AnalyticsView = { filter, queueDashboard };
  let principal: Principal;
  let project: string | undefined;
  let days: number;
  try {
    const tenant = filter.tenant || defaultTenant;
    if (tenant.length > 200) throw new Error('tenant: must be at most 200 characters');
    const input = parseInput(insightsInput, {
      project: filter.project || undefined,
      period: filter.period || undefined,
    });
    principal = { tenantId: tenant };
    project = input.project;
    days = input.period ?? INSIGHT_DAYS_DEFAULT;
    view.tenant = tenant;
    view.days = days;
  } catch (error) {
    view.filterError = messageOf(error);
    return view;
  }
  const from = new Date(Date.UTC(...todayParts(), 0, 0, 0) - (days - 1) * 86_400_000).toISOString();
  const [activity, insights, kinds] = await Promise.all([
    settle(reads.activitySummary(principal, parseInput(activitySummaryInput, { project, days }))),
    settle(reads.insights(principal, parseInput(insightsInput, { project, days }))),
    settle(
      reads
        .query(principal, parseInput(analyticsQueryInput, { sql: PATTERN_KINDS_SQL, params: [from, project ?? null] }))
        .then((r) => r.rows.map(([kind, n]) => ({ label: String(kind), value: Number(n) }))),
    ),
  ]);
  view.activity = activity;
  view.insights = insights;
  view.patternKinds = kinds;
  return view;
}

/** The page's HTTP status: 400 for a bad filter, else the first failed read's (503 without an owner), else 200. */
export function analyticsStatus(view: AnalyticsView): 200 | 400 | 500 | 503 {
  if (view.filterError) return 400;
  for (const section of [view.activity, view.insights, view.patternKinds]) {
    if (section && !section.ok) return section.status === 503 ? 503 : section.status === 400 ? 400 : 500;
  }
  return 200;
}

export function renderAnalytics(view: AnalyticsView): string {
  const { activity, insights } = view;
  const scope = view.tenant
    ? html`<p class="muted">Tenant <b>${view.tenant}</b>${view.filter.project ? html`, project <b>${view.filter.project}</b>` : ''}, last ${view.days} UTC day(s)${dataAsOfNote(activity)}</p>`
    : '';
  return layout(
    { title: 'Analytics', current: 'analytics', queueDashboard: view.queueDashboard },
    html`<h2>Analytics</h2>
<div class="card">${filterForm(view.filter)}</div>
${view.filterError ? html`<div class="flash error" role="alert">${view.filterError}</div>` : scope}
${
  view.filterError
    ? ''
    : html`${totals(activity)}
<h2>Activity per day</h2>
${section(activity, (a) =>
  lineChart({
    title: 'Activity per day',
    labels: a.perDay.map((d) => d.day),
    series: [
      { name: 'messages', values: a.perDay.map((d) => d.messages) },
      { name: 'sessions', values: a.perDay.map((d) => d.sessions) },
      { name: 'reflections', values: a.perDay.map((d) => d.reflections) },
    ],
  }),
)}
<h2>Messages by role</h2>
${section(activity, (a) =>
  barChart({
    title: 'Messages by role',
    bars: MESSAGE_ROLES.map((role) => ({ label: role, value: a.messagesByRole[role] })),
    color: PALETTE[0],
  }),
)}
<h2>Errors and dead letters over time</h2>
${section(insights, (i) =>
  lineChart({
    title: 'Errors and dead letters per day',
    labels: i.errors.perDay.map((d) => d.day),
    series: [
      { name: 'dead letters', values: i.errors.perDay.map((d) => d.deadLetters), color: PALETTE[3] },
      { name: 'error messages', values: i.errors.perDay.map((d) => d.errorMessages), color: PALETTE[1] },
    ],
  }),
)}
${section(insights, (i) => deadLettersByJob(i))}
<h2>Top patterns</h2>
${section(view.patternKinds, (bars) => barChart({ title: 'Patterns by kind', bars, color: PALETTE[2] }))}
${section(insights, (i) => topPatternsChart(i))}
${section(insights, (i) => patternTable(i))}
<h2>Recurring topics</h2>
${section(insights, (i) =>
  barChart({
    title: 'Recurring topics',
    bars: i.topics.map((t) => ({
      label: t.term,
      value: t.sessions + t.reflections,
      detail: `${t.sessions} session(s), ${t.reflections} reflection(s)`,
    })),
    color: PALETTE[4],
  }),
)}
<h2>Busiest projects</h2>
${section(activity, (a) =>
  barChart({
    title: 'Messages per project',
    bars: a.topProjects.map((p) => ({ label: p.project, value: p.messages, detail: `${p.sessions} session(s)` })),
    color: PALETTE[5],
  }),
)}`
}`,
  );
}

function filterForm(filter: AnalyticsFilter): Html {
  return html`<form class="filter" method="get" action="${ANALYTICS_PAGE}">
<label>Tenant<input name="tenant" value="${filter.tenant}" placeholder="default tenant" maxlength="200"></label>
<label>Project<input name="project" value="${filter.project}" placeholder="all projects" maxlength="200"></label>
<label>Period<input name="period" value="${filter.period}" placeholder="30 (days), 2w, month…" maxlength="20"></label>
<button type="submit" class="primary">Show</button> <a href="${ANALYTICS_PAGE}">Reset</a>
</form>`;
}

function section<T>(data: Section<T> | undefined, render: (value: T) => Html | string): Html | string {
  if (!data) return '';
  if (!data.ok) return html`<div class="flash error" role="alert">${data.error}</div>`;
  return html`<div class="card chart-card">${render(data.value)}</div>`;
}

function totals(activity: Section<ActivitySummary> | undefined): Html | string {
  if (!activity?.ok) return '';
  const t = activity.value.totals;
  const cell = (label: string, value: number) =>
    html`<th>${label}</th><td class="n">${value.toLocaleString('en-US')}</td>`;
  return html`<table class="stats totals"><tbody><tr>${cell('Sessions', t.sessions)}${cell('Active sessions', t.activeSessions)}${cell('Messages', t.messages)}${cell('Reflections', t.reflections)}${cell('Dead letters', t.deadLetters)}</tr></tbody></table>`;
}

function dataAsOfNote(activity: Section<ActivitySummary> | undefined): Html | string {
  if (!activity?.ok) return '.';
  const asOf = activity.value.dataAsOf;
  return asOf ? html`; data as of ${shortTime(asOf)}.` : '; the analytics sync has not caught up yet.';
}

function deadLettersByJob(i: Insights): Html | string {
  if (i.errors.byJob.length === 0) return '';
  return html`<table class="by-job"><thead><tr><th>Queue / job</th><th class="n">Dead letters</th><th class="n">Open</th><th>Last failed</th><th>Last error</th></tr></thead><tbody>
${i.errors.byJob.map(
  (j) =>
    html`<tr><td>${j.queue} / ${j.jobName}</td><td class="n">${j.deadLetters}</td><td class="n">${j.open}</td><td class="t">${shortTime(j.lastFailedAt)}</td><td class="err">${excerpt(j.lastError, 120)}</td></tr>`,
)}</tbody></table>`;
}

/** The first ten patterns of get_insights with occurrences, as bars (most first, as get_insights orders them). */
function topPatternsChart(i: Insights): Html | string {
  const top = i.patterns.filter((p) => p.occurrences > 0).slice(0, 10);
  if (top.length === 0) return '';
  return barChart({
    title: 'Top patterns by occurrences',
    bars: top.map((p) => ({
      label: p.name,
      value: p.occurrences,
      detail: `${p.kind}, ${p.occurrences} occurrence(s)`,
    })),
    color: PALETTE[1],
  });
}

function patternTable(i: Insights): Html | string {
  if (i.patterns.length === 0) return html`<p class="muted">No pattern was created or re-detected in the period.</p>`;
  return html`<table class="patterns"><thead><tr><th>Pattern</th><th>Kind</th><th>Source</th><th class="n">Occurrences</th><th>Tags</th><th>Updated</th></tr></thead><tbody>
${i.patterns
  .slice(0, 10)
  .map(
    (p) =>
      html`<tr><td>${excerpt(p.name, 120)}</td><td>${p.kind}</td><td>${p.source}</td><td class="n">${p.occurrences}</td><td>${p.tags.join(', ')}</td><td class="t">${shortTime(p.updatedAt)}</td></tr>`,
  )}</tbody></table>`;
}

async function settle<T>(promise: Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: messageOf(error), status: isSessionBuddyError(error) ? error.status : 500 };
  }
}

function todayParts(): [number, number, number] {
  const now = new Date();
  return [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
