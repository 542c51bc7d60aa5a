import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { describeToolSuite, type Mode, type ModeEnvironment, modeEnvironment, ok } from './mcp-harness.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'e2e-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** fetch cannot set Host, so the rebinding test speaks HTTP itself. */
function postWithHost(url: string, host: string, body: string): Promise<{ status: number; body: string }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path: pathname, method: 'POST', headers: { ...JSON_HEADERS, host } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.each<Mode>(['lite', 'standard'])('MCP over streamable HTTP, %s mode', (mode) => {
  let environment: ModeEnvironment;
  let server: RunningCli;
  let mcpUrl: string;
  let client: Client;

  beforeAll(async () => {
    environment = await modeEnvironment(mode);
    server = await startCli([`--mode=${mode}`, '--mcp'], environment.env);
    mcpUrl = `${server.url}/mcp`;
    client = await connect(mcpUrl);
  });

  afterAll(async () => {
    await client?.close();
    expect(await server?.stop()).toBe(0);
    await environment?.drop();
  });

  describeToolSuite(mode, () => client);

  it('keeps REST and MCP on one service layer', async () => {
    const session = await ok<{ id: string }>(client, 'create_session', { name: 'both doors' });
    await ok(client, 'add_message', { sessionId: session.id, role: 'user', content: 'via MCP' });
    const rest = await fetch(`${server.url}/v1/sessions/${session.id}/messages`);
    expect(await rest.json()).toMatchObject({ items: [{ content: 'via MCP', seq: 1 }] });
  });

  it('answers malformed JSON and non-JSON-RPC bodies with JSON-RPC parse errors', async () => {
    for (const body of [
      '{"jsonrpc":"2.0","id":1,',
      'not json at all',
      '{"id":1,"method":42}',
      '{"jsonrpc":"2.0","id":1}',
    ]) {
      const res = await fetch(mcpUrl, { method: 'POST', headers: JSON_HEADERS, body });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    }
    // The server is still fine.
    expect(await ok(client, 'health_check', {})).toMatchObject({ ready: true });
  });

  it('refuses a foreign Origin and a foreign Host with 403 problem+json', async () => {
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'create_session', arguments: { name: 'rebinding' } },
    });
    const foreign = await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: 'http://attacker.example' },
      body: call,
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect(await foreign.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('Origin') });

    const rebound = await postWithHost(mcpUrl, 'attacker.example:80', call);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('Host') });

    // Another local web app (another port) is another origin: refused too (server.allowedOrigins to allow it).
    const otherApp = await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: 'http://localhost:3000' },
      body: call,
    });
    expect(otherApp.status).toBe(403);
    const sameOrigin = await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...JSON_HEADERS, origin: new URL(mcpUrl).origin },
      body: call,
    });
    expect(sameOrigin.status).toBe(200);
  });

  it('answers GET and DELETE with 405 and an oversized body with 413', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(mcpUrl, { method, headers: { accept: 'application/json, text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'create_session', arguments: { name: 'x', metadata: { blob: 'x'.repeat(1_100_000) } } },
    });
    const res = await fetch(mcpUrl, { method: 'POST', headers: JSON_HEADERS, body: huge });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('MCP over streamable HTTP with auth on', () => {
  const secret = 'e2e-secret-e2e-secret-e2e-secret-0123456';
  let server: RunningCli;

  beforeAll(async () => {
    server = await startCli(['--mode=lite', '--mcp'], {
      SESSION_BUDDY_AUTH__ENABLED: 'true',
      SESSION_BUDDY_AUTH__SECRET: secret,
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const token = (tenant: string) =>
    new SignJWT({ tenant })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('e2e')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));

  it('needs a bearer token and scopes every call to its tenant', async () => {
    await expect(connect(`${server.url}/mcp`)).rejects.toThrow(/401/);
    const a = await connect(`${server.url}/mcp`, { authorization: `Bearer ${await token('team-a')}` });
    const b = await connect(`${server.url}/mcp`, { authorization: `Bearer ${await token('team-b')}` });
    const session = await ok<{ id: string; tenant_id: string }>(a, 'create_session', { name: 'private' });
    expect(session.tenant_id).toBe('team-a');
    const peek = await b.callTool({ name: 'get_session', arguments: { sessionId: session.id } });
    expect(peek.isError).toBe(true);
    expect(await ok<{ items: unknown[] }>(b, 'list_sessions', {})).toMatchObject({ items: [] });
    await a.close();
    await b.close();
  });
});
