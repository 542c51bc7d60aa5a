import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { mountAdmin } from '../../src/http/admin/admin.routes.js';
import { barChart, lineChart, niceMax } from '../../src/http/admin/svg-charts.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { BreakerRegistry } from '../../src/resilience/breaker-registry.js';
import type { AnalyticsReads } from '../../src/services/analytics.service.js';
import { NO_OWNER_MESSAGE, RemoteAnalytics } from '../../src/services/analytics-remote.js';
import { testConfig } from '../helpers/config.js';

const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 50000 } } };
const HOST = '127.0.0.1:8678';
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert('y')>]]>&`;

/** No `<script`, no `<img`, no unescaped attribute breaking out: the hostile text is there only escaped. */
function expectEscaped(body: string): void {
  expect(body).not.toMatch(/<script|<img|onerror=alert\('y'\)>/i);
  expect(body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
}

describe('SVG charts', () => {
  it('escape every label, series name and tooltip', () => {
    const line = lineChart({
      title: HOSTILE,
      labels: ['2026-03-01', HOSTILE],
      series: [{ name: HOSTILE, values: [1, 2] }],
    }).html;
    const bars = barChart({ title: 't', bars: [{ label: HOSTILE, value: 3, detail: HOSTILE }] }).html;
    for (const svg of [line, bars]) {
      expect(svg.startsWith('<svg')).toBe(true);
      expectEscaped(svg);
    }
  });

  it('draw an empty chart as "No data", and survive zeros and non-finite values', () => {
    expect(lineChart({ title: 'x', labels: [], series: [] }).html).toContain('No data');
    expect(barChart({ title: 'x', bars: [] }).html).toContain('No data');
    const svg = lineChart({ title: 'x', labels: ['a', 'b'], series: [{ name: 's', values: [0, Number.NaN] }] }).html;
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect([niceMax(0), niceMax(3), niceMax(7), niceMax(13), niceMax(2400)]).toEqual([1, 5, 10, 20, 2500]);
  });
});

describe('admin analytics page (in-process, lite: SQLite + DuckDB in memory)', () => {
  let app: Application;
  const ctx = (tenantId = 'default') => ({ principal: { tenantId }, services: app.services });

  const page = (reads: AnalyticsReads) =>
    createHttpApp({
      routes: app.routes,
      auth: app.services.auth,
      health: app.services.health,
      metrics: app.metrics,
      logger: app.logger,
      bodyLimitBytes: 1_000_000,
      allowlist: { allowedHosts: [], allowedOrigins: [] },
      info: { title: 'test', version: '0' },
      extend: (hono) =>
        mountAdmin(hono, {
          admin: { enabled: true, allowRemote: false },
          deadLetters: app.services.deadLetters,
          backend: app.jobs.backend,
          logger: app.logger,
          analytics: { reads, defaultTenant: 'default' },
        }),
    });
  const get = async (path: string, reads: AnalyticsReads = app.services.analytics) => {
    const res = await page(reads).request(path, { headers: { host: HOST } }, LOCAL);
    return { status: res.status, body: await res.text(), csp: res.headers.get('content-security-policy') };
  };

  beforeAll(async () => {
    app = await createApplication(
      testConfig({ analytics: { path: ':memory:', syncIntervalMs: 0 } }),
      createLogger('silent'),
      {
        defaultMetrics: false,
        role: 'cli',
      },
    );
    const session = await runOperation<{ id: string }>(app.operations, 'create_session', ctx(), {
      name: 'charts',
      project: 'web-shop',
    });
    await runOperation(app.operations, 'add_messages', ctx(), {
      sessionId: session.id,
      messages: [
        { role: 'user', content: 'make the checkout faster' },
        { role: 'assistant', content: 'Error: timeout while calling the payment API' },
        { role: 'tool', content: 'ran npm test' },
      ],
    });
    await runOperation(app.operations, 'store_pattern', ctx(), {
      name: HOSTILE,
      description: 'a pattern with a hostile name',
      kind: 'anti-pattern',
      project: 'web-shop',
    });
    await app.store.deadLetters.record({
      id: crypto.randomUUID(),
      tenantId: 'default',
      queue: 'embedding',
      jobName: 'embed-messages',
      jobKey: 'job-hostile',
      payload: {},
      error: HOSTILE,
      stack: '',
      attempts: 3,
      failedAt: new Date().toISOString(),
    });
    // Another tenant's data never shows on the default tenant's page.
    const other = await runOperation<{ id: string }>(app.operations, 'create_session', ctx('other'), {
      name: 'secret',
      project: 'other-project',
    });
    await runOperation(app.operations, 'add_message', ctx('other'), {
      sessionId: other.id,
      role: 'system',
      content: 'x',
    });
    await app.analytics.sync.run();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('renders the four charts from the synced facts, with their series labels, escaped', async () => {
    const { status, body, csp } = await get('/admin/analytics');
    expect(status, body).toBe(200);
    expect(csp).toContain("default-src 'none'");
    expect(body).not.toMatch(/<script|src="http|href="http/);
    expect(body.match(/<svg /g)?.length).toBeGreaterThanOrEqual(5);
    for (const heading of [
      'Activity per day',
      'Messages by role',
      'Errors and dead letters over time',
      'Top patterns',
    ]) {
      expect(body).toContain(`<h2>${heading}</h2>`);
    }
    for (const series of ['messages', 'sessions', 'reflections', 'dead letters', 'error messages']) {
      expect(body).toContain(`data-series="${series}"`);
    }
    for (const role of ['user', 'assistant', 'system', 'tool']) expect(body).toContain(`data-label="${role}"`);
    expect(body).toContain('data-label="anti-pattern"');
    expect(body).toContain('data-label="web-shop"');
    expect(body).not.toContain('other-project');
    expectEscaped(body);
    // Totals of the default tenant: 1 session, 3 messages, 1 dead letter.
    expect(body).toMatch(/<th>Messages<\/th><td class="n">3<\/td>/);
    expect(body).toMatch(/<th>Dead letters<\/th><td class="n">1<\/td>/);
  });

  it('filters by tenant, project and period from the query string', async () => {
    const other = await get('/admin/analytics?tenant=other&period=2w');
    expect(other.status).toBe(200);
    expect(other.body).toContain('data-label="other-project"');
    expect(other.body).toContain('last 14 UTC day(s)');
    expect(other.body).not.toContain('web-shop');
    const project = await get('/admin/analytics?project=nothing-here&days=7');
    expect(project.status).toBe(200);
    expect(project.body).toMatch(/<th>Messages<\/th><td class="n">0<\/td>/);
  });

  it('answers a hostile or bad filter with 400 and the reason, escaped', async () => {
    const hostile = await get(`/admin/analytics?project=${encodeURIComponent(HOSTILE)}`);
    expect(hostile.status).toBe(400);
    expect(hostile.body).toMatch(/project: may contain letters/);
    expectEscaped(hostile.body);
    expect(hostile.body).not.toContain('<svg');
    const period = await get('/admin/analytics?period=fortnight');
    expect(period.status).toBe(400);
    expect(period.body).toMatch(/period: must be a number of days/);
  });

  it('shows the 503 reason when no analytics owner is registered (standard mode without one)', async () => {
    const breakers = new BreakerRegistry();
    const remote = new RemoteAnalytics({
      registry: { lookup: async () => undefined },
      breaker: breakers.get('analytics'),
      auth: { enabled: false, issue: async () => '' },
      timeoutMs: 1000,
    });
    const { status, body } = await get('/admin/analytics', remote.reads());
    breakers.shutdown();
    expect(status).toBe(503);
    expect(body).toContain(NO_OWNER_MESSAGE);
    expect(body).toContain('role="alert"');
    expect(body).not.toContain('<svg');
  });

  it('is behind the admin guard like the other pages', async () => {
    const res = await page(app.services.analytics).request('/admin/analytics', { headers: { host: HOST } });
    expect(res.status).toBe(403);
  });
});
