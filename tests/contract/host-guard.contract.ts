import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';
import { type RawResponse, rawRequest } from '../helpers/raw-http.js';

type Open = (overrides: Record<string, unknown>) => Promise<{ app: Application; cleanup(): Promise<void> }>;

const JSON_TYPE = { 'content-type': 'application/json' };
const MCP_HEADERS = { ...JSON_TYPE, accept: 'application/json, text/event-stream' };

/**
 * Issue 10, finding 1: DNS rebinding. A page under a name its author controls (attacker.example), rebound to
 * 127.0.0.1, reaches the server with that name as Host and its own Origin. Every route must refuse it with 403
 * problem+json naming what was refused, and nothing may change; the same requests under a loopback name pass.
 * Runs over a real listener (the Host header is what the socket carried), on each store.
 */
export function describeHostGuard(name: string, open: Open) {
  describe(`Host/Origin allowlist on every route: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let server: RunningServer;
    let base: string;
    let port: number;

    const send = (
      method: string,
      path: string,
      headers: Record<string, string>,
      body?: unknown,
    ): Promise<RawResponse> =>
      rawRequest(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...JSON_TYPE, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const local = () => ({ host: `127.0.0.1:${port}` });
    const attacker = () => ({ host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` });
    const sessionCount = async () => {
      const res = await send('GET', '/v1/sessions?limit=200', local());
      expect(res.status).toBe(200);
      return (JSON.parse(res.body) as { items: unknown[] }).items.length;
    };
    const expectRefused = (res: RawResponse, what: RegExp) => {
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({
        status: 403,
        code: 'forbidden',
        detail: expect.stringMatching(what),
      });
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open({ mcp: { enabled: true }, admin: { enabled: true } }));
      server = await startHttpServer(app.http, '127.0.0.1', 0);
      port = server.port;
      base = `http://127.0.0.1:${port}`;
    });
    afterAll(async () => {
      await server?.close(1000);
      await app?.close();
      await cleanup?.();
    });

    it('refuses the rebinding curl of the issue on create, list, export and DELETE, and changes nothing', async () => {
      const created = await send('POST', '/v1/sessions', local(), { name: 'mine' });
      expect(created.status).toBe(201);
      const id = (JSON.parse(created.body) as { id: string }).id;
      const before = await sessionCount();

      // curl -H 'Host: attacker.example:PORT' -H 'Origin: http://attacker.example:PORT' -XPOST ... /v1/sessions
      const hostRe = new RegExp(`Host 'attacker\\.example:${port}' is not allowed`);
      expectRefused(await send('POST', '/v1/sessions', attacker(), { name: 'x' }), hostRe);
      expectRefused(await send('GET', '/v1/sessions', attacker()), hostRe);
      expectRefused(await send('GET', `/v1/sessions/${id}/export`, attacker()), hostRe);
      expectRefused(await send('DELETE', `/v1/sessions/${id}`, attacker()), hostRe);
      // Without the Origin header too (the Host alone is foreign).
      expectRefused(await send('DELETE', `/v1/sessions/${id}`, { host: `attacker.example:${port}` }), hostRe);

      expect(await sessionCount()).toBe(before);
      expect((await send('GET', `/v1/sessions/${id}`, local())).status).toBe(200);
    });

    it('refuses a foreign Origin under a loopback Host (a cross-site page) and another local port', async () => {
      const originRe = /Origin 'http:\/\/attacker\.example' is not allowed \(server\.allowedOrigins\)/;
      const before = await sessionCount();
      expectRefused(
        await send('POST', '/v1/sessions', { ...local(), origin: 'http://attacker.example' }, { name: 'x' }),
        originRe,
      );
      expectRefused(
        await send('POST', '/v1/sessions', { ...local(), origin: 'http://localhost:3000' }, { name: 'x' }),
        /Origin 'http:\/\/localhost:3000'/,
      );
      expect(await sessionCount()).toBe(before);
      // The server's own pages (same origin) and non-browser clients (no Origin) pass.
      const same = await send(
        'POST',
        '/v1/sessions',
        { ...local(), origin: `http://localhost:${port}` },
        { name: 's' },
      );
      expect(same.status).toBe(201);
    });

    it('refuses every other surface under a foreign Host: metrics, docs, health, MCP, admin, unknown paths', async () => {
      const surfaces: Array<[string, string, unknown?]> = [
        ['GET', '/metrics'],
        ['GET', '/docs'],
        ['GET', '/openapi.json'],
        ['GET', '/healthz'],
        ['GET', '/readyz'],
        ['GET', '/admin/dead-letters'],
        ['POST', '/admin/dead-letters/retry'],
        ['GET', '/no/such/route'],
        ['GET', '/v1/dead-letters'],
        ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
      ];
      for (const [method, path, body] of surfaces) {
        const refused = await send(method, path, { ...MCP_HEADERS, ...attacker() }, body);
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(JSON.parse(refused.body), `${method} ${path}`).toMatchObject({ code: 'forbidden' });
      }
      for (const [method, path, body] of surfaces.filter(([m, p]) => m === 'GET' || p === '/mcp')) {
        const ok = await send(method, path, { ...MCP_HEADERS, host: `localhost:${port}` }, body);
        expect(ok.status, `${method} ${path}`).not.toBe(403);
      }
    });

    it("refuses a browser's state-changing request without a JSON content type, body or not (issue 10)", async () => {
      const sameOrigin = { ...local(), origin: `http://127.0.0.1:${port}` };
      const crossSite = { ...local(), 'sec-fetch-site': 'cross-site' };
      const created = await send('POST', '/v1/sessions', local(), { name: 'kept' });
      const id = (JSON.parse(created.body) as { id: string }).id;
      // What a form or a no-cors fetch sends: no body (or a form body) and no JSON content type.
      for (const [method, path, headers] of [
        ['POST', '/v1/patterns/detect', sameOrigin],
        ['POST', '/v1/patterns/detect', crossSite],
        ['POST', '/v1/patterns/detect', { ...crossSite, 'content-type': 'text/plain' }],
        ['POST', '/v1/patterns/detect', { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' }],
        ['DELETE', `/v1/sessions/${id}`, crossSite],
      ] as const) {
        const refused = await send(method, path, headers);
        expect(refused.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(415);
        expect(JSON.parse(refused.body)).toMatchObject({
          code: 'unsupported_media_type',
          detail: expect.stringMatching(/from a browser must declare Content-Type: application\/json/),
        });
      }
      expect((await send('GET', `/v1/sessions/${id}`, local())).status).toBe(200);
      // Declared JSON from the page itself, and clients that are not browsers, pass as before.
      const declared = await send('POST', '/v1/patterns/detect', { ...sameOrigin, ...JSON_TYPE });
      expect(declared.status).not.toBe(415);
      expect((await send('POST', '/v1/patterns/detect', local())).status).not.toBe(415);
      expect((await send('DELETE', `/v1/sessions/${id}`, { ...sameOrigin, ...JSON_TYPE })).status).toBe(204);
    });

    it('answers a configured public name (server.allowedHosts) and origin (server.allowedOrigins)', async () => {
      const configured = await open({
        server: { allowedHosts: ['api.example'], allowedOrigins: ['https://app.example'] },
      });
      const listener = await startHttpServer(configured.app.http, '127.0.0.1', 0);
      try {
        const url = `http://127.0.0.1:${listener.port}/v1/sessions`;
        const post = (headers: Record<string, string>) =>
          rawRequest(url, {
            method: 'POST',
            headers: { ...JSON_TYPE, ...headers },
            body: JSON.stringify({ name: 'p' }),
          });
        expect((await post({ host: 'api.example' })).status).toBe(201);
        expect((await post({ host: 'api.example:8443', origin: 'https://app.example' })).status).toBe(201);
        expect((await post({ host: 'api.example', origin: 'https://other.example' })).status).toBe(403);
        expect((await post({ host: 'other.example' })).status).toBe(403);
      } finally {
        await listener.close(1000);
        await configured.app.close();
        await configured.cleanup();
      }
    });
  });
}
