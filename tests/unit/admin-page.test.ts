import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { mountAdmin } from '../../src/http/admin/admin.routes.js';
import { createHttpApp } from '../../src/http/http-app.js';
import type { DeadLetter } from '../../src/repositories/ports.js';
import { testConfig } from '../helpers/config.js';

/** What the Node.js server adapter passes as bindings; `getConnInfo` reads the socket's remote address from it. */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remotePort: 50000 } } });
const LOCAL = from('127.0.0.1');
const HOST = '127.0.0.1:8678';
const ORIGIN = `http://${HOST}`;

const EVIL_ERROR = `<script>alert("x")</script><img src=x onerror=alert('y')> & more`;

describe('admin page (in-process)', () => {
  let app: Application;
  let seq = 0;

  const http = (admin = { enabled: true, allowRemote: false }, allowedHosts: string[] = []) =>
    createHttpApp({
      routes: app.routes,
      auth: app.services.auth,
      health: app.services.health,
      metrics: app.metrics,
      logger: app.logger,
      bodyLimitBytes: 1_000_000,
      allowlist: { allowedHosts, allowedOrigins: [] },
      info: { title: 'test', version: '0' },
      extend: (hono) =>
        mountAdmin(hono, {
          admin,
          deadLetters: app.services.deadLetters,
          backend: app.jobs.backend,
          logger: app.logger,
        }),
    });

  const record = (overrides: Partial<DeadLetter> = {}) => {
    seq++;
    return app.store.deadLetters.record({
      id: crypto.randomUUID(),
      tenantId: 'default',
      queue: 'embedding',
      jobName: 'embed-messages',
      jobKey: `job-${seq}-${Math.random().toString(36).slice(2)}`,
      payload: { messageIds: [crypto.randomUUID()] },
      error: 'provider said no',
      stack: 'Error: provider said no\n    at somewhere',
      attempts: 3,
      failedAt: new Date().toISOString(),
      ...overrides,
    });
  };

  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}, env = LOCAL) =>
    http().request(
      path,
      {
        method: 'POST',
        headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(fields).toString(),
      },
      env,
    );
  const get = (path: string, headers: Record<string, string> = {}, env: unknown = LOCAL) =>
    http().request(path, { headers: { host: HOST, ...headers } }, env);

  beforeAll(async () => {
    // `cli` role: no workers, so a retried job stays queued and its dead letter stays `retried`.
    app = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false, role: 'cli' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('is not there (404) unless admin.enabled', async () => {
    const disabled = http({ enabled: false, allowRemote: false });
    expect((await disabled.request('/admin/dead-letters', { headers: { host: HOST } }, LOCAL)).status).toBe(404);
    expect((await disabled.request('/admin/queues', { headers: { host: HOST } }, LOCAL)).status).toBe(404);
    // The application as built from config: admin is off by default.
    expect((await app.http.request('/admin/dead-letters', { headers: { host: HOST } }, LOCAL)).status).toBe(404);
  });

  it('lists dead letters with queue stats, filters them, and escapes every text', async () => {
    const evil = await record({
      error: EVIL_ERROR,
      stack: `Error: ${EVIL_ERROR}\n    at "</pre><script>stack()</script>"`,
      payload: { note: '</pre><script>payload()</script>', messageId: 'm-1' },
      jobName: 'embed-<b>message</b>',
    });
    const res = await get('/admin/dead-letters');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const page = await res.text();
    expect(page).toContain('Open dead letters');
    expect(page).toContain('Outbox backlog');
    expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(page).toContain('embed-&#60;b&#62;message&#60;/b&#62;');
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');

    const detail = await get(`/admin/dead-letters/${evil.id}`);
    expect(detail.status).toBe(200);
    const text = await detail.text();
    expect(text).toContain('&#60;/pre&#62;&#60;script&#62;payload()&#60;/script&#62;');
    expect(text).toContain('&#60;/pre&#62;&#60;script&#62;stack()&#60;/script&#62;');
    expect(text).not.toContain('<script');

    const filtered = await (await get('/admin/dead-letters?error=onerror&queue=embedding')).text();
    expect(filtered).toContain('(1 matching)');
    const none = await (await get('/admin/dead-letters?error=nothing-like-this')).text();
    expect(none).toContain('No dead letters match.');
    const bad = await get('/admin/dead-letters?queue=%3Cnope%3E');
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain('<nope>');
    expect((await get(`/admin/dead-letters/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('refuses a POST from a foreign or missing origin with 403 and changes nothing', async () => {
    const letter = await record();
    const path = `/admin/dead-letters/${letter.id}/discard`;
    const foreign = await post(path, {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    // Refused by the Host/Origin allowlist of every route, before the admin pages' own same-origin check.
    expect(await foreign.text()).toMatch(/Origin 'http:\/\/evil\.example' is not allowed/);
    expect((await post(path, {}, { origin: 'null' })).status).toBe(403);
    expect((await post(path, {}, { referer: 'http://127.0.0.1:9999/admin/dead-letters' })).status).toBe(403);
    expect((await post(path, {})).status).toBe(403);
    expect((await app.store.deadLetters.get(letter.id))?.status).toBe('open');

    // Same origin (Referer is enough when a browser sends no Origin).
    const ok = await post(path, { back: `/admin/dead-letters/${letter.id}` }, { referer: `${ORIGIN}/admin/x` });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/admin/dead-letters/${letter.id}`);
    expect((await app.store.deadLetters.get(letter.id))?.status).toBe('discarded');
  });

  it('answers loopback clients on loopback host names only, unless admin.allowRemote', async () => {
    expect((await get('/admin/dead-letters', {}, from('::1'))).status).toBe(200);
    expect((await get('/admin/dead-letters', {}, from('::ffff:127.0.0.1'))).status).toBe(200);
    expect((await get('/admin/dead-letters', { host: 'localhost:8678' })).status).toBe(200);
    const remote = await get('/admin/dead-letters', {}, from('192.0.2.7'));
    expect(remote.status).toBe(403);
    expect(await remote.text()).toMatch(/loopback clients only, not 192\.0\.2\.7/);
    // No socket to ask (called in-process without bindings): unknown client, refused.
    const unknown = await http().request('/admin/dead-letters', { headers: { host: HOST } });
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toMatch(/client address is unknown/);
    // DNS rebinding: a local browser reaching us under a foreign name.
    const rebound = await get('/admin/dead-letters', { host: 'attacker.example:8678' });
    expect(rebound.status).toBe(403);
    expect(await rebound.text()).toMatch(/Host 'attacker\.example:8678' is not allowed/);

    const open = http({ enabled: true, allowRemote: true }, ['admin.example']);
    const request = (env: unknown, headers: Record<string, string>) =>
      open.request('/admin/dead-letters', { headers }, env);
    expect((await request(from('192.0.2.7'), { host: 'admin.example' })).status).toBe(200);
    expect((await request(undefined, { host: 'admin.example' })).status).toBe(200);
    // Same-origin still applies to POSTs.
    const cross = await open.request(
      '/admin/dead-letters/retry',
      { method: 'POST', headers: { host: 'admin.example', referer: 'https://evil.example/x' } },
      from('192.0.2.7'),
    );
    expect(cross.status).toBe(403);
    expect(await cross.text()).toMatch(/cross-site/);
  });

  it('retries and discards all matching, with a flash message after the redirect', async () => {
    const marker = `bulk-${Date.now()}`;
    for (let i = 0; i < 3; i++) await record({ error: `${marker} failure ${i}` });
    const retried = await post(
      '/admin/dead-letters/retry',
      { error: marker, queue: 'embedding', job: '' },
      { origin: ORIGIN },
    );
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe(`/admin/dead-letters?queue=embedding&error=${marker}`);
    const cookie = (retried.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^sb_admin_flash=/);
    const after = await get(retried.headers.get('location') as string, { cookie });
    const page = await after.text();
    expect(page).toContain('Retried 3 of 3 dead letters.');
    expect(page).toContain('No dead letters match.');
    expect(after.headers.get('set-cookie')).toMatch(/sb_admin_flash=;.*Max-Age=0/);
    expect(await app.store.deadLetters.count({ errorContains: marker, status: 'retried' })).toBe(3);

    // Discarding everything matching needs the confirm box ticked.
    await record({ error: `${marker} later` });
    const unconfirmed = await post('/admin/dead-letters/discard', { error: marker }, { origin: ORIGIN });
    expect(unconfirmed.status).toBe(303);
    expect(await app.store.deadLetters.count({ errorContains: marker, status: 'open' })).toBe(1);
    const flash = (unconfirmed.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(await (await get('/admin/dead-letters', { cookie: flash })).text()).toContain('Tick “confirm”');
    const confirmed = await post('/admin/dead-letters/discard', { error: marker, confirm: 'yes' }, { origin: ORIGIN });
    expect(confirmed.status).toBe(303);
    expect(await app.store.deadLetters.count({ errorContains: marker, status: 'discarded' })).toBe(1);
  });

  it('keeps redirects on its own pages and reports failures as flash messages', async () => {
    const letter = await record();
    const res = await post(
      `/admin/dead-letters/${letter.id}/retry`,
      { back: 'https://evil.example/' },
      { origin: ORIGIN },
    );
    expect(res.headers.get('location')).toBe('/admin/dead-letters');
    const bad = await post('/admin/dead-letters/not-an-id/retry', {}, { origin: ORIGIN });
    expect(bad.status).toBe(303);
    const cookie = (bad.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(await (await get('/admin/dead-letters', { cookie })).text()).toMatch(
      /class="flash error"[^>]*>Retry failed: /,
    );
  });

  it('explains that the BullMQ dashboard is a standard-mode page', async () => {
    const res = await get('/admin/queues');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('standard mode only');
    expect((await get('/admin/nothing-here')).status).toBe(404);
    const root = await get('/admin');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin/dead-letters');
  });
});
