import { describeFailure } from '../../jobs/attempt-history.js';
import type { QueueName } from '../../jobs/job-registry.js';
import { QUEUE_NAMES } from '../../jobs/job-registry.js';
import type { JobCounts } from '../../jobs/queue.port.js';
import type { DeadLetter } from '../../repositories/ports.js';
import type { DeadLetterSummary } from '../../services/dead-letter.service.js';
import { excerpt, type Html, html, layout, raw, shortTime } from './html.js';

export const ADMIN_BASE = '/admin/dead-letters';

/** The filter form's fields, as strings from the query; empty means "any". */
export interface FilterForm {
  queue: string;
  job: string;
  error: string;
  /** `open` (the default), `retried`, `discarded` or `any`. */
  status: string;
}

export const STATUS_CHOICES = ['open', 'retried', 'discarded', 'any'] as const;

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface QueueStatsView {
  queues: Record<QueueName, JobCounts & { deadLetters: number }>;
  outbox: { pending: number; oldestAgeSeconds: number };
}

export interface ListView {
  filter: FilterForm;
  cursor?: string;
  /** Undefined when the list could not be loaded (`error` says why). */
  items?: DeadLetterSummary[];
  total?: number;
  nextCursor?: string | null;
  error?: string;
  stats?: QueueStatsView;
  statsError?: string;
  flash?: Flash;
  queueDashboard: boolean;
}

/** `/admin/dead-letters?…` for a filter (defaults left out) and an optional page cursor. */
export function listUrl(filter: FilterForm, cursor?: string): string {
  const params = new URLSearchParams();
  if (filter.queue) params.set('queue', filter.queue);
  if (filter.job) params.set('job', filter.job);
  if (filter.error) params.set('error', filter.error);
  if (filter.status && filter.status !== 'open') params.set('status', filter.status);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `${ADMIN_BASE}?${query}` : ADMIN_BASE;
}

export function renderList(view: ListView): string {
  const { filter } = view;
  const self = listUrl(filter, view.cursor);
  return layout(
    { title: 'Dead letters', current: 'dead-letters', queueDashboard: view.queueDashboard },
    html`${flashBox(view.flash)}
<h2>Queues</h2>
${statsBox(view)}
<h2>Dead letters${view.total === undefined ? '' : html` <span class="muted">(${view.total} matching)</span>`}</h2>
<div class="card">${filterForm(filter)}</div>
${view.error ? html`<div class="flash error" role="alert">${view.error}</div>` : ''}
${filter.status === 'open' && view.total ? bulkBar(filter, view.total) : ''}
${view.items ? table(view.items, self) : ''}
${pager(view)}`,
  );
}

function flashBox(flash: Flash | undefined): Html | string {
  if (!flash) return '';
  return html`<div class="flash ${flash.kind === 'ok' ? 'ok' : 'error'}" role="status">${flash.text}</div>`;
}

function statsBox(view: ListView): Html {
  if (!view.stats) {
    return html`<div class="flash error">Queue statistics are unavailable: ${view.statsError ?? 'unknown error'}</div>`;
  }
  const { queues, outbox } = view.stats;
  const rows = QUEUE_NAMES.map((name) => {
    const q = queues[name];
    const open = q.deadLetters;
    return html`<tr><th scope="row">${name}</th><td class="n">${q.waiting}</td><td class="n">${q.active}</td>
<td class="n">${q.delayed}</td><td class="n">${q.failed}</td><td class="n">${q.completed}</td>
<td class="n">${open > 0 ? html`<a href="${listUrl({ queue: name, job: '', error: '', status: 'open' })}">${open}</a>` : '0'}</td></tr>`;
  });
  return html`<table class="stats"><thead><tr><th>Queue</th><th class="n">Waiting</th><th class="n">Active</th>
<th class="n">Delayed</th><th class="n">Failed</th><th class="n">Completed</th><th class="n">Open dead letters</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">Outbox backlog: ${outbox.pending} pending${outbox.pending > 0 ? `, oldest ${formatAge(outbox.oldestAgeSeconds)} old` : ''}.
${view.queueDashboard ? html`Job details are in the <a href="/admin/queues">queue dashboard</a>.` : ''}</p>`;
}

function filterForm(filter: FilterForm): Html {
  const queueOptions = ['', ...QUEUE_NAMES].map(
    (q) => html`<option value="${q}"${q === filter.queue ? raw(' selected') : ''}>${q || 'any'}</option>`,
  );
  const statusOptions = STATUS_CHOICES.map(
    (s) => html`<option value="${s}"${s === filter.status ? raw(' selected') : ''}>${s}</option>`,
  );
  return html`<form class="filter" method="get" action="${ADMIN_BASE}">
<label>Queue<select name="queue">${queueOptions}</select></label>
<label>Job<input name="job" value="${filter.job}" placeholder="embed-messages" size="16"></label>
<label>Error text<input name="error" value="${filter.error}" placeholder="contains…" size="28"></label>
<label>Status<select name="status">${statusOptions}</select></label>
<button type="submit">Filter</button> <a href="${ADMIN_BASE}">Reset</a>
</form>`;
}

function hiddenFilter(filter: FilterForm): Html {
  return html`<input type="hidden" name="queue" value="${filter.queue}"><input type="hidden" name="job" value="${filter.job}"><input type="hidden" name="error" value="${filter.error}">`;
}

function bulkBar(filter: FilterForm, total: number): Html {
  return html`<div class="bulk">
<form method="post" action="${ADMIN_BASE}/retry">${hiddenFilter(filter)}<button type="submit" class="primary">Retry all matching (${total})</button></form>
<form method="post" action="${ADMIN_BASE}/discard">${hiddenFilter(filter)}
<label class="muted"><input type="checkbox" name="confirm" value="yes" required> confirm</label>
<button type="submit" class="danger">Discard all matching (${total})</button></form>
</div>`;
}

function table(items: DeadLetterSummary[], back: string): Html {
  if (items.length === 0) return html`<div class="empty">No dead letters match.</div>`;
  const rows = items.map(
    (d) => html`<tr>
<td class="t"><time datetime="${d.failedAt}" title="first failed ${shortTime(d.firstFailedAt)}">${shortTime(d.failedAt)}</time></td>
<td>${d.queue} / ${d.jobName}<div class="muted">tenant ${d.tenantId}</div></td>
<td class="n">${d.attempts}${d.retryCount > 0 ? html`<div class="muted">retried ${d.retryCount}×</div>` : ''}</td>
<td class="err"><a href="${ADMIN_BASE}/${d.id}" title="${excerpt(d.error, 1000)}">${excerpt(d.error)}</a>${d.firstCause ? html`<div class="muted">first: ${excerpt(d.firstCause)}</div>` : ''}</td>
<td><span class="badge ${d.status}">${d.status}</span></td>
<td>${actions(d, back)}</td>
</tr>`,
  );
  return html`<table class="letters"><thead><tr><th>Failed at</th><th>Queue / job</th><th class="n">Attempts</th>
<th>Error</th><th>Status</th><th>Actions</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function actions(d: DeadLetterSummary, back: string, withDetails = true): Html {
  const details = withDetails ? html`<a href="${ADMIN_BASE}/${d.id}">Details</a>` : '';
  if (d.status !== 'open') return html`<div class="actions">${details}</div>`;
  const form = (action: 'retry' | 'discard', label: string, cls: string) =>
    html`<form method="post" action="${ADMIN_BASE}/${d.id}/${action}"><input type="hidden" name="back" value="${back}"><button type="submit" class="${cls}" aria-label="${label} ${d.id}">${label}</button></form>`;
  return html`<div class="actions">${form('retry', 'Retry', 'primary')}${form('discard', 'Discard', 'danger')}${details}</div>`;
}

function pager(view: ListView): Html | string {
  const links: Html[] = [];
  if (view.cursor) links.push(html`<a href="${listUrl(view.filter)}">← First page</a>`);
  if (view.nextCursor) links.push(html`<a href="${listUrl(view.filter, view.nextCursor)}">Next page →</a>`);
  return links.length > 0 ? html`<div class="pager">${links}</div>` : '';
}

export interface DetailView {
  letter: DeadLetter;
  flash?: Flash;
  queueDashboard: boolean;
}

export function renderDetail(view: DetailView): string {
  const d = view.letter;
  const back = `${ADMIN_BASE}/${d.id}`;
  return layout(
    { title: `Dead letter ${d.id}`, current: 'dead-letters', queueDashboard: view.queueDashboard },
    html`${flashBox(view.flash)}
<p><a href="${ADMIN_BASE}">← All dead letters</a></p>
<h2>Dead letter <code>${d.id}</code> <span class="badge ${d.status}">${d.status}</span></h2>
<div class="card"><dl>
<dt>Queue</dt><dd>${d.queue}</dd>
<dt>Job</dt><dd>${d.jobName}</dd>
<dt>Job key</dt><dd><code>${d.jobKey}</code></dd>
<dt>Tenant</dt><dd>${d.tenantId}</dd>
<dt>Attempts</dt><dd>${d.attempts}</dd>
<dt>Retried</dt><dd>${d.retryCount} time${d.retryCount === 1 ? '' : 's'}</dd>
<dt>First failed</dt><dd>${shortTime(d.firstFailedAt)}</dd>
<dt>Last failed</dt><dd>${shortTime(d.failedAt)}</dd>
<dt>Updated</dt><dd>${shortTime(d.updatedAt)}</dd>
</dl></div>
${d.status === 'open' ? actions(d, back, false) : ''}
<h2>Error</h2><pre class="err">${d.error}</pre>
${d.firstCause ? html`<h2>First cause</h2><pre class="err">${d.firstCause}</pre>` : ''}
<h2>Attempts</h2>${
      d.attemptHistory.length === 0
        ? html`<p class="muted">No attempt history recorded.</p>`
        : html`<table class="stats"><thead><tr><th class="n">#</th><th>Failed at</th><th>Error</th></tr></thead><tbody>${d.attemptHistory.map(
            (f) =>
              html`<tr><td class="n">${f.attempt}</td><td class="t">${shortTime(f.at)}</td><td class="err">${describeFailure(f)}</td></tr>`,
          )}</tbody></table>`
    }
<h2>Stack</h2><pre class="err">${d.stack ?? '(no stack recorded)'}</pre>
<h2>Payload</h2><pre>${JSON.stringify(d.payload, null, 2)}</pre>`,
  );
}

/** A minimal page for "not found" and similar answers. */
export function renderMessage(title: string, message: string, queueDashboard: boolean): string {
  return layout(
    { title, queueDashboard },
    html`<h2>${title}</h2><p>${message}</p><p><a href="${ADMIN_BASE}">← Dead letters</a></p>`,
  );
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
