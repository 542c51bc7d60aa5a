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
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = '/tmp/admin-page.png';

type Json = Record<string, unknown>;

async function rest(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** A plain launch: Playwright gives every launch a fresh temporary profile and removes it on close. */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run infra/scripts/ensure-services.sh`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

describe('admin page in headless Chromium: lite mode, real server', () => {
  let provider: FakeEmbeddingServer;
  let cli: RunningCli;
  let browser: Browser;
  let page: Page;
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
        // Keep the test's one failure from opening the breaker, and the reconciler from re-queueing on its own.
        SESSION_BUDDY_EMBEDDING__BREAKER__VOLUME_THRESHOLD: '1000',
        SESSION_BUDDY_EMBEDDING__RECONCILE_INTERVAL_MS: '0',
        SESSION_BUDDY_LOGGING__LEVEL: 'info',
      }),
      launchChromium(),
    ]);
    page = await (await browser.newContext()).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await cli?.stop();
    await provider?.close();
  });

  it('shows a dead letter, and "Retry all matching" retries it and empties the list', async () => {
    provider.setMode('fail');
    const session = (await call('POST', '/v1/sessions', { name: 'admin page' })).json as { id: string };
    const added = await call('POST', `/v1/sessions/${session.id}/messages`, {
      role: 'user',
      content: 'embed me once the provider is back',
    });
    expect(added.status).toBe(201);
    const messageId = added.json.id as string;
    await waitFor('a dead letter', async () => (await call('GET', '/v1/dead-letters?status=open')).json.total === 1);

    await page.goto(`${cli.url}/admin/dead-letters`);
    expect(await page.title()).toContain('Dead letters');
    const rows = page.locator('table.letters tbody tr');
    expect(await rows.count()).toBe(1);
    const row = ((await rows.first().textContent()) ?? '').replace(/\s+/g, ' ');
    expect(row).toContain('embedding / embed-messages');
    expect(row).toMatch(/open/);
    const embeddingStats = page.locator('table.stats tbody tr', { hasText: 'embedding' });
    expect(await embeddingStats.locator('td').last().textContent()).toBe('1'); // open dead letters
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The detail view shows the payload.
    await page.locator('table.letters a', { hasText: 'Details' }).click();
    await page.waitForURL(/\/admin\/dead-letters\/[0-9a-f-]{36}$/);
    expect(await page.locator('pre').last().textContent()).toContain(messageId);
    await page.locator('a', { hasText: 'All dead letters' }).click();
    await page.waitForURL(/\/admin\/dead-letters$/);

    provider.setMode('ok');
    await page.getByRole('button', { name: /Retry all matching/ }).click();
    await page.waitForSelector('.flash.ok');
    expect(await page.locator('.flash.ok').textContent()).toBe('Retried 1 of 1 dead letter.');
    expect(await page.locator('.empty').textContent()).toBe('No dead letters match.');
    expect(await page.locator('table.letters').count()).toBe(0);

    // The retried job ran and the message is embedded.
    await waitFor('the retried embedding job to complete', async () => {
      const stats = (await call('GET', '/v1/queues/stats')).json as { queues: Record<string, Json> };
      return stats.queues.embedding?.completed === 1 && stats.queues.embedding?.deadLetters === 0;
    });
    const retried = await call('GET', '/v1/dead-letters?status=retried');
    expect(retried.json.total).toBe(1);
    expect((retried.json.items as Json[])[0]).toMatchObject({ payload: { messageIds: [messageId] }, retryCount: 1 });
    const metrics = await (await fetch(`${cli.url}/metrics`)).text();
    expect(metrics).toMatch(
      /session_buddy_job_outcomes_total\{[^}]*job="embed-messages"[^}]*result="completed"[^}]*\} 1/,
    );

    // Reloading drops the flash (it was shown once); the BullMQ dashboard is a standard-mode page.
    await page.reload();
    expect(await page.locator('.flash').count()).toBe(0);
    const dashboard = await page.goto(`${cli.url}/admin/queues`);
    expect(dashboard?.status()).toBe(404);
  });

  it('refuses a cross-site form post from another origin in the browser', async () => {
    const letters = await call('GET', '/v1/dead-letters?status=retried');
    const id = ((letters.json.items as Json[])[0] as { id: string }).id;
    // A page on another origin (the fake provider's address) posts a form to the admin page.
    const evil = await browser.newPage();
    await evil.route(`${provider.url}/evil`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${cli.url}/admin/dead-letters/${id}/discard"><button>go</button></form>`,
      }),
    );
    await evil.goto(`${provider.url}/evil`);
    const [response] = await Promise.all([evil.waitForResponse(/\/discard$/), evil.locator('button').click()]);
    expect(response.status()).toBe(403);
    await evil.close();
    expect((await call('GET', `/v1/dead-letters/${id}`)).json.status).toBe('retried');
  });
});

describe('admin page: BullMQ dashboard in standard mode, real server', () => {
  const prefix = randomPrefix('admin');
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

  it('serves the dashboard with its assets and shows the queues', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${cli.url}/admin/dead-letters`);
    await page.locator('header a', { hasText: 'Queue dashboard' }).click();
    await page.waitForURL(/\/admin\/queues$/);
    // The dashboard is a script-driven page: its queue list appears once its assets loaded and its API answered.
    for (const queue of ['embedding', 'sync', 'analytics']) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    expect(failed).toEqual([]);
    const api = (await (await fetch(`${cli.url}/admin/queues/api/queues`)).json()) as {
      queues: Array<{ name: string }>;
    };
    expect(api.queues.map((q) => q.name).sort()).toEqual(['analytics', 'embedding', 'sync']);
    // Its write API follows the same same-origin rule as the dead-letter forms.
    const pause = await fetch(`${cli.url}/admin/queues/api/queues/pause`, { method: 'PUT' });
    expect(pause.status).toBe(403);
    await page.close();
  });
});
