import type { Context, Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from '../../core/logger.js';
import { parseId, parseInput } from '../../core/validate.js';
import { deadLetterListSchema, deadLetterSelectionSchema, toSelection } from '../../domain/dead-letter.model.js';
import type { QueueBackend } from '../../jobs/queue.port.js';
import type { AnalyticsReads } from '../../services/analytics.service.js';
import type { AuthService } from '../../services/auth.service.js';
import type { DeadLetterService } from '../../services/dead-letter.service.js';
import { adminAccessGuard, remoteAddress } from './access.js';
import { ANALYTICS_PAGE, analyticsStatus, loadAnalyticsView, renderAnalytics } from './analytics.page.js';
import {
  ADMIN_BASE,
  type FilterForm,
  type Flash,
  type ListView,
  listUrl,
  renderDetail,
  renderList,
  renderMessage,
} from './dead-letters.page.js';
import { createQueueDashboard, hasBullQueues, QUEUE_DASHBOARD_PATH, type QueueDashboard } from './queue-dashboard.js';

export interface AdminDeps {
  /** `admin` from the config: nothing is mounted unless `enabled`. */
  admin: { enabled: boolean; allowRemote: boolean };
  deadLetters: DeadLetterService;
  /** The queue backend; in standard mode (BullMQ) it also feeds the dashboard at `/admin/queues`. */
  backend: QueueBackend;
  logger: Logger;
  /** The app's auth: when enabled, admin pages need a bearer token with the operator or admin role (access.ts). */
  auth?: AuthService;
  /**
   * The analytics reads (local, or forwarded to the analytics owner in standard mode) behind `/admin/analytics`,
   * and the tenant it shows when the form names none (`auth.defaultTenant`). Without it the page is not mounted.
   */
  analytics?: { reads: AnalyticsReads; defaultTenant: string };
}

const PAGE_SIZE = 50;
const FLASH_COOKIE = 'sb_admin_flash';
const FORM_LIMIT_BYTES = 64 * 1024;
/** Our pages have no scripts, no external assets and post forms only to themselves. */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type Action = 'retry' | 'discard';
const DONE: Record<Action, string> = { retry: 'Retried', discard: 'Discarded' };

/**
 * The operator pages: `/admin/dead-letters` (server-rendered, works without JavaScript: forms POST and redirect
 * back with a flash message), `/admin/analytics` (server-rendered SVG charts, see analytics.page.ts) and, with the
 * BullMQ backend, the queue dashboard at `/admin/queues`. Operators see
 * every tenant. Does nothing unless `admin.enabled`; who may connect is decided by `adminAccessGuard` (see
 * access.ts): loopback clients only unless `admin.allowRemote`, and same-origin POSTs only.
 */
export function mountAdmin<E extends Env>(app: Hono<E>, deps: AdminDeps): void {
  if (!deps.admin.enabled) return;
  const { deadLetters, logger } = deps;
  const queueSource = deps.backend.kind === 'bullmq' && hasBullQueues(deps.backend) ? deps.backend : undefined;
  const queueDashboard = queueSource !== undefined;

  const guard = adminAccessGuard({ allowRemote: deps.admin.allowRemote, auth: deps.auth });
  app.use('/admin/*', guard); // also matches `/admin` itself
  app.use('/admin/*', async (c, next) => {
    await next();
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
  });
  app.use('/admin/*', bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: (c) => c.text('Payload too large\n', 413) }));

  const page = (c: Context, body: string, status: 200 | 400 | 404 | 500 | 503 = 200) =>
    c.html(body, status, { 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store' });

  app.get('/admin', (c) => c.redirect(ADMIN_BASE, 302));

  app.get(ADMIN_BASE, async (c) => {
    const q = c.req.query();
    const filter: FilterForm = {
      queue: (q.queue ?? '').trim(),
      job: (q.job ?? '').trim(),
      error: (q.error ?? '').trim(),
      status: (q.status ?? '').trim() || 'open',
    };
    const cursor = q.cursor || undefined;
    const view: ListView = { filter, cursor, flash: takeFlash(c), queueDashboard };
    const [list, stats] = await Promise.allSettled([
      // Parsed with the schema of list_dead_letters: a bad filter is a message on the page (400).
      (async () =>
        deadLetters.list(
          'operator',
          parseInput(deadLetterListSchema, {
            status: filter.status === 'any' ? undefined : filter.status,
            queue: filter.queue || undefined,
            jobName: filter.job || undefined,
            error: filter.error || undefined,
            limit: PAGE_SIZE,
            cursor,
          }),
        ))(),
      deadLetters.queueStats('operator'),
    ]);
    if (list.status === 'fulfilled') {
      view.items = list.value.items;
      view.total = list.value.total;
      view.nextCursor = list.value.nextCursor;
    } else {
      view.error = messageOf(list.reason);
    }
    if (stats.status === 'fulfilled') view.stats = stats.value;
    else view.statsError = messageOf(stats.reason);
    return page(c, renderList(view), view.error ? 400 : 200);
  });

  app.get(`${ADMIN_BASE}/:id`, async (c) => {
    try {
      const letter = await deadLetters.get('operator', parseId(c.req.param('id'), 'id'));
      return page(c, renderDetail({ letter, flash: takeFlash(c), queueDashboard }));
    } catch (error) {
      return page(c, renderMessage('Not found', messageOf(error), queueDashboard), 404);
    }
  });

  const { analytics } = deps;
  if (analytics) {
    // Server-rendered SVG charts of the caller-chosen tenant (operators see every tenant, as on the dead-letter page).
    app.get(ANALYTICS_PAGE, async (c) => {
      const q = c.req.query();
      const filter = {
        tenant: (q.tenant ?? '').trim(),
        project: (q.project ?? '').trim(),
        period: (q.period ?? q.days ?? '').trim(),
      };
      const view = await loadAnalyticsView(analytics.reads, filter, analytics.defaultTenant, queueDashboard);
      return page(c, renderAnalytics(view), analyticsStatus(view));
    });
  }

  // Bulk actions act on the open dead letters matching the filter in the form (all open ones without a filter).
  for (const action of ['retry', 'discard'] as const) {
    app.post(`${ADMIN_BASE}/${action}`, async (c) => {
      const form = await readForm(c);
      const filter: FilterForm = { queue: form('queue'), job: form('job'), error: form('error'), status: 'open' };
      if (action === 'discard' && form('confirm') !== 'yes') {
        putFlash(c, { kind: 'error', text: 'Tick “confirm” to discard all matching dead letters.' });
      } else {
        await act(c, action, selectionFor(filter));
      }
      return c.redirect(listUrl(filter), 303);
    });

    app.post(`${ADMIN_BASE}/:id/${action}`, async (c) => {
      const form = await readForm(c);
      await act(c, action, { ids: [c.req.param('id')] });
      return c.redirect(safeBack(form('back')) ?? ADMIN_BASE, 303);
    });
  }

  /** `selection` as the form gave it, parsed with the schema of retry_dead_letters and discard_dead_letters. */
  async function act(c: Context, action: Action, selection: unknown): Promise<void> {
    try {
      const parsed = toSelection(parseInput(deadLetterSelectionSchema, selection));
      const result = await deadLetters[action]('operator', parsed);
      const noun = result.matched === 1 ? 'dead letter' : 'dead letters';
      putFlash(c, { kind: 'ok', text: `${DONE[action]} ${result.changed} of ${result.matched} ${noun}.` });
      logger.info(
        { action, matched: result.matched, changed: result.changed, remote: remoteAddress(c) },
        'admin: dead letters changed',
      );
    } catch (error) {
      logger.warn({ err: error, action }, 'admin: dead-letter action failed');
      putFlash(c, { kind: 'error', text: `${action === 'retry' ? 'Retry' : 'Discard'} failed: ${messageOf(error)}` });
    }
  }

  // The BullMQ dashboard, built on first use; in lite mode there is no BullMQ to show.
  let dashboard: Promise<QueueDashboard> | undefined;
  const serveDashboard = async (c: Context) => {
    if (!queueSource) {
      const text = 'The BullMQ queue dashboard exists in standard mode only; lite mode runs its queues in-process.';
      return page(c, renderMessage('Queue dashboard', text, false), 404);
    }
    dashboard ??= createQueueDashboard(queueSource).catch((error: unknown) => {
      dashboard = undefined;
      throw error;
    });
    return (await dashboard).fetch(c.req.raw, c.env);
  };
  app.all(QUEUE_DASHBOARD_PATH, serveDashboard);
  app.all(`${QUEUE_DASHBOARD_PATH}/*`, serveDashboard);

  app.all('/admin/*', (c) =>
    page(c, renderMessage('Not found', `No admin page at ${c.req.path}.`, queueDashboard), 404),
  );
}

function selectionFor(filter: FilterForm): Record<string, unknown> {
  const selected: { queue?: string; jobName?: string; error?: string } = {};
  if (filter.queue) selected.queue = filter.queue;
  if (filter.job) selected.jobName = filter.job;
  if (filter.error) selected.error = filter.error;
  // `act` validates the queue name (and everything else).
  return Object.keys(selected).length > 0 ? { filter: selected } : { all: true };
}

/** The urlencoded (or multipart) form fields as trimmed strings; files and missing fields read as ''. */
async function readForm(c: Context): Promise<(name: string) => string> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return (name) => {
    const value = body[name];
    return typeof value === 'string' ? value.trim() : '';
  };
}

/** Only our own list and detail pages are places to go back to (no open redirect). */
function safeBack(back: string): string | undefined {
  return /^\/admin\/dead-letters(\/[0-9a-fA-F-]{36})?(\?[^#\\\s]*)?$/.test(back) ? back : undefined;
}

function putFlash(c: Context, flash: Flash): void {
  const text = flash.text.length > 300 ? `${flash.text.slice(0, 299)}…` : flash.text;
  setCookie(c, FLASH_COOKIE, JSON.stringify({ kind: flash.kind, text }), {
    path: '/admin',
    httpOnly: true,
    sameSite: 'Strict',
    maxAge: 60,
  });
}

function takeFlash(c: Context): Flash | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (value === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: '/admin' });
  try {
    const parsed = JSON.parse(value) as Partial<Flash>;
    if ((parsed.kind === 'ok' || parsed.kind === 'error') && typeof parsed.text === 'string') {
      return { kind: parsed.kind, text: parsed.text };
    }
  } catch {
    // a cookie we did not write: ignore it
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
