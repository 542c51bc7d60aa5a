import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { defaultSettingsDir, loadConfig } from '../../src/config/config.loader.js';
import { ConfigError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { mountAdmin } from '../../src/http/admin/admin.routes.js';
import { createHttpApp } from '../../src/http/http-app.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';
import { testConfig } from '../helpers/config.js';

const SECRET = 'admin-auth-test-secret-of-at-least-32-bytes!';
/** What the Node.js server adapter passes as bindings; `getConnInfo` reads the socket's remote address from it. */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remotePort: 50000 } } });

/**
 * Issue 10, finding 8: with `admin.allowRemote=true` the admin pages never asked for a token even with auth on, and
 * a rebinding page passed the Origin==Host check; they show every tenant's dead letters. Now: with auth on they
 * need a bearer token with the operator or admin role (loopback or not), and allowRemote without auth does not
 * start.
 */
describe('admin pages and auth (issue 10 finding 8)', () => {
  it('refuses to start with admin.allowRemote=true and auth off, in one line naming both keys', () => {
    const env = { SESSION_BUDDY_ADMIN__ENABLED: 'true', SESSION_BUDDY_ADMIN__ALLOW_REMOTE: 'true' };
    let error: unknown;
    try {
      loadConfig({ settingsDir: defaultSettingsDir(), env });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/admin\.allowRemote=true needs auth\.enabled=true/);
    // With auth on it starts; allowRemote with the pages off is harmless.
    const withAuth = { ...env, SESSION_BUDDY_AUTH__ENABLED: 'true', SESSION_BUDDY_AUTH__SECRET: SECRET };
    expect(loadConfig({ settingsDir: defaultSettingsDir(), env: withAuth }).config.admin.allowRemote).toBe(true);
    const off = { SESSION_BUDDY_ADMIN__ALLOW_REMOTE: 'true' };
    expect(loadConfig({ settingsDir: defaultSettingsDir(), env: off }).config.admin.enabled).toBe(false);
  });

  describe('with auth on', () => {
    let app: Application;
    let server: RunningServer;
    let tokens: Record<'none' | 'reader' | 'operator' | 'admin', string>;

    beforeAll(async () => {
      const config = testConfig({
        auth: { enabled: true, secret: SECRET },
        admin: { enabled: true, allowRemote: true },
      });
      app = await createApplication(config, createLogger('silent'), { defaultMetrics: false, role: 'cli' });
      const auth = app.services.auth;
      tokens = {
        none: await auth.issue('tenant-user', 'acme'),
        reader: await auth.issue('reader', 'acme', { roles: ['reader', 'writer'] }),
        operator: await auth.issue('ops', 'acme', { roles: ['operator'] }),
        admin: await auth.issue('root', 'default', { roles: ['admin'] }),
      };
      await app.store.deadLetters.record({
        id: crypto.randomUUID(),
        tenantId: 'globex',
        queue: 'embedding',
        jobName: 'embed-messages',
        jobKey: `admin-auth-${crypto.randomUUID()}`,
        payload: { messageIds: [] },
        error: 'globex secret failure',
        stack: 'Error: globex secret failure',
        attempts: 3,
        failedAt: new Date().toISOString(),
      });
      server = await startHttpServer(app.http, '127.0.0.1', 0);
    });
    afterAll(async () => {
      await server?.close(1000);
      await app?.close();
    });

    const page = (token?: string, init: RequestInit = {}) =>
      fetch(`${server.url}/admin/dead-letters`, {
        ...init,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
      });

    it('asks loopback clients for a token too: 401 without one, 403 without the operator or admin role', async () => {
      const anonymous = await page();
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await anonymous.text()).not.toContain('globex secret failure');
      expect((await page('not-a-jwt')).status).toBe(401);
      for (const token of [tokens.none, tokens.reader]) {
        const res = await page(token);
        expect(res.status).toBe(403);
        const text = await res.text();
        expect(text).toMatch(/need a bearer token with the operator or admin role/);
        expect(text).not.toContain('globex secret failure');
      }
      for (const token of [tokens.operator, tokens.admin]) {
        const res = await page(token);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('globex secret failure');
      }
    });

    it('refuses a remote rebinding request that passes the Origin==Host check but carries no token', async () => {
      const http = createHttpApp({
        routes: app.routes,
        auth: app.services.auth,
        health: app.services.health,
        metrics: app.metrics,
        logger: app.logger,
        bodyLimitBytes: 1_000_000,
        allowlist: { allowedHosts: ['attacker.example'], allowedOrigins: [] },
        info: { title: 'test', version: '0' },
        extend: (hono) =>
          mountAdmin(hono, {
            admin: { enabled: true, allowRemote: true },
            deadLetters: app.services.deadLetters,
            backend: app.jobs.backend,
            logger: app.logger,
            auth: app.services.auth,
          }),
      });
      const host = 'attacker.example:8678';
      const request = (headers: Record<string, string>, method = 'GET', path = '/admin/dead-letters') =>
        http.request(path, { method, headers: { host, ...headers } }, from('192.0.2.7'));
      expect((await request({})).status).toBe(401);
      const post = await request(
        { origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' },
        'POST',
        '/admin/dead-letters/discard',
      );
      expect(post.status).toBe(401);
      expect((await request({ authorization: `Bearer ${tokens.none}` })).status).toBe(403);
      expect((await request({ authorization: `Bearer ${tokens.operator}` })).status).toBe(200);
    });
  });
});
