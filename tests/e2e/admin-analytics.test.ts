import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/** Debian's `chromium` package (infra/scripts/ensure-services.sh installs it), driven by playwright-core. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];
const SCREENSHOT = '/tmp/admin-analytics.png';
const HOSTILE = `<img src=x onerror="document.title='pwned'">`;

type Json = Record<string, unknown>;

async function rest(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run infra/scripts/ensure-services.sh`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Pixels of a PNG screenshot, counted in the browser itself (a canvas in a blank page): how many are not
 * near-white, and how many are near each of the given colours.
 */
async function pixelCounts(browser: Browser, png: Buffer, colors: string[]) {
  const page = await browser.newPage();
  try {
    // Browser code as text: the test's TypeScript has no DOM types.
    const count = `(async ({ data, colors }) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + data;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      const targets = colors.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
      const near = targets.map(() => 0);
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) {
        const r = px[i], g = px[i + 1], b = px[i + 2];
        if (r < 235 || g < 235 || b < 235) ink++;
        targets.forEach(([tr, tg, tb], k) => {
          if (Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) < 30) near[k]++;
        });
      }
      return { width: img.width, height: img.height, ink, near };
    })(${JSON.stringify({ data: png.toString('base64'), colors })})`;
    return (await page.evaluate(count)) as { width: number; height: number; ink: number; near: number[] };
  } finally {
    await page.close();
  }
}

describe('admin analytics page in headless Chromium: lite mode, real server, data through the API', () => {
  let provider: FakeEmbeddingServer;
  let cli: RunningCli;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const call = (method: string, path: string, body?: unknown) => rest(cli.url, method, path, body);

  beforeAll(async () => {
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    [cli, browser] = await Promise.all([
      startCli(['--mode=lite'], {
        SESSION_BUDDY_ADMIN__ENABLED: 'true',
        SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
        SESSION_BUDDY_EMBEDDING__URL: provider.url,
        SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
        SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
        SESSION_BUDDY_QUEUE__EMBEDDING__ATTEMPTS: '1',
        SESSION_BUDDY_EMBEDDING__BREAKER__VOLUME_THRESHOLD: '1000',
        SESSION_BUDDY_EMBEDDING__RECONCILE_INTERVAL_MS: '0',
      }),
      launchChromium(),
    ]);
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await cli?.stop();
    await provider?.close();
  });

  it('draws activity, roles, errors/dead letters and patterns from synced data; the screenshot is not blank', async () => {
    // One message fails embedding for good: a dead letter on today's errors chart.
    provider.setMode('fail');
    const session = (await call('POST', '/v1/sessions', { name: 'checkout speed', project: 'web-shop' })).json as {
      id: string;
    };
    const failed = await call('POST', `/v1/sessions/${session.id}/messages`, { role: 'user', content: 'start' });
    expect(failed.status).toBe(201);
    await waitFor('a dead letter', async () => (await call('GET', '/v1/dead-letters?status=open')).json.total === 1);
    provider.setMode('ok');
    for (const [role, content] of [
      ['assistant', 'Error: timeout while calling the payment API'],
      ['tool', 'npm test: 3 failing'],
      ['user', 'retry with a longer timeout'],
      ['assistant', 'done, the checkout is faster'],
    ]) {
      expect((await call('POST', `/v1/sessions/${session.id}/messages`, { role, content })).status).toBe(201);
    }
    const pattern = await call('POST', '/v1/patterns', {
      name: `payment timeout ${HOSTILE}`,
      description: 'the payment API times out under load',
      kind: 'recurring-error',
      project: 'web-shop',
    });
    expect(pattern.status).toBe(201);
    // The analytics sync (queued by the writes, plus the catch-up) brings it all to DuckDB.
    await waitFor('the sync to reach DuckDB', async () => {
      const a = (await call('GET', '/v1/analytics/activity?days=7')).json as {
        totals: { messages: number; deadLetters: number };
      };
      const kinds = await call('POST', '/v1/analytics/query', { sql: 'SELECT count(*) AS n FROM patterns' });
      return a.totals.messages === 5 && a.totals.deadLetters === 1 && (kinds.json.rows as number[][])[0]?.[0] === 1;
    });

    const response = await page.goto(`${cli.url}/admin/analytics?period=14`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toContain('Analytics');
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(5);
    const legends = await page.locator('g.legend text').allTextContents();
    expect(legends).toEqual(['messages', 'sessions', 'reflections', 'dead letters', 'error messages']);
    const roles = await page.locator('svg[role="img"]', { hasText: 'Messages by role' }).locator('g.bar').all();
    expect(await Promise.all(roles.map((g) => g.getAttribute('data-label')))).toEqual([
      'user',
      'assistant',
      'system',
      'tool',
    ]);
    expect(await page.locator('g.bar[data-label="recurring-error"]').count()).toBe(1);
    expect(await page.locator('table.patterns td').first().textContent()).toBe(`payment timeout ${HOSTILE}`);
    expect(await page.locator('table.by-job').textContent()).toContain('embedding / embed-messages');
    expect(await page.title()).not.toContain('pwned');
    // Points carry their value: today's messages.
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator(`g.series[data-series="messages"] circle title`).last().textContent()).toBe(
      `messages on ${today}: 5`,
    );
    // Nothing but the page itself was requested: no CDN, fonts or scripts.
    expect(requests.filter((url) => !url.startsWith(cli.url))).toEqual([]);

    const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const counts = await pixelCounts(browser, png, ['#0072b2', '#d55e00', '#e69f00', '#009e73']);
    expect(counts.width).toBeGreaterThan(100);
    expect(counts.ink / (counts.width * counts.height)).toBeGreaterThan(0.01);
    // The messages, dead-letter and error lines and the pattern bars are drawn in their colours.
    expect(
      counts.near.every((n) => n > 120),
      JSON.stringify(counts.near),
    ).toBe(true);
  });

  it('filters by project from the form, without JavaScript', async () => {
    await page.goto(`${cli.url}/admin/analytics`);
    await page.fill('input[name="project"]', 'no-such-project');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/project=no-such-project/);
    expect(await page.locator('table.totals').textContent()).toMatch(/Messages\s*0/);
    await page.goto(`${cli.url}/admin/analytics?project=${encodeURIComponent(HOSTILE)}`);
    expect(await page.locator('.flash.error').textContent()).toMatch(/project: may contain letters/);
    expect(await page.title()).not.toContain('pwned');
  });
});

describe('admin analytics page in standard mode without an analytics owner', () => {
  const prefix = randomPrefix('charts');
  let cli: RunningCli;
  let browser: Browser;

  beforeAll(async () => {
    [cli, browser] = await Promise.all([
      startCli(['--mode=standard'], {
        SESSION_BUDDY_ADMIN__ENABLED: 'true',
        SESSION_BUDDY_DATABASE__DRIVER: 'sqlite',
        SESSION_BUDDY_DATABASE__SQLITE_PATH: ':memory:',
        SESSION_BUDDY_REDIS__URL: REDIS_URL,
        SESSION_BUDDY_REDIS__PREFIX: prefix,
        SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await cli?.stop();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('answers 503 with the reason and the fix instead of charts', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${cli.url}/admin/analytics`);
    expect(response?.status()).toBe(503);
    expect(await page.locator('.flash.error').first().textContent()).toMatch(
      /no process holds the analytics database.*session-buddy worker --queues analytics/,
    );
    expect(await page.locator('svg.chart').count()).toBe(0);
    await page.close();
  });
});
