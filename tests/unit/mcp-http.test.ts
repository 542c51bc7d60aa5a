import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';

const SECRET = 'unit-test-secret-unit-test-secret-0123';
const HEADERS = {
  host: 'localhost:8678',
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

let app: Application;

function post(body: string, headers: Record<string, string> = {}, target = app): Promise<Response> {
  return Promise.resolve(
    target.http.request('http://localhost:8678/mcp', { method: 'POST', headers: { ...HEADERS, ...headers }, body }),
  );
}

function rpc(method: string, params: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

beforeAll(async () => {
  app = await createApplication(
    testConfig({ mcp: { enabled: true }, server: { bodyLimitBytes: 4096 } }),
    createLogger('silent'),
    { defaultMetrics: false },
  );
});

afterAll(() => app.close());

describe('MCP over HTTP (in process)', () => {
  it('is not mounted unless enabled', async () => {
    const off = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false });
    const res = await post(rpc('tools/list'), {}, off);
    expect(res.status).toBe(404);
    await off.close();
  });

  it('answers a JSON-RPC request with plain JSON and no session id', async () => {
    const res = await post(rpc('tools/call', { name: 'health_check', arguments: {} }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const body = (await res.json()) as { result: { structuredContent: { mode: string } } };
    expect(body.result.structuredContent.mode).toBe('lite');
  });

  it('answers a plain tools/call without the SDK objects exactly as the SDK path does', async () => {
    const calls: Array<[string, Record<string, unknown>, string | number]> = [
      ['list_sessions', { limit: 1, project: 'p' }, 'a-string-id'],
      ['list_sessions', { limit: 'x' }, 2],
      ['get_session', { session_id: '0190c0de-0000-7000-8000-000000000000' }, 7],
      ['get_session', { session_id: 'not-a-uuid' }, 8],
      ['get_messages', {}, 9],
      ['search_messages', { q: 'plain', mode: 'keyword' }, 10],
    ];
    for (const [name, args, id] of calls) {
      const plain = await post(
        JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }),
      );
      // `_meta` is not plain: the same call goes through the SDK's transport and protocol.
      const sdk = await post(
        JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: {} } }),
      );
      expect([plain.status, plain.headers.get('content-type')]).toEqual([sdk.status, sdk.headers.get('content-type')]);
      expect(await plain.text()).toBe(await sdk.text());
    }
    // An unknown tool, a bad protocol version or an Accept without event streams are the SDK's to answer.
    const unknown = await post(rpc('tools/call', { name: 'no_such_tool', arguments: {} }));
    expect(await unknown.json()).toMatchObject({ id: 1, error: { code: -32602 } });
    const version = await post(rpc('tools/call', { name: 'health_check' }), { 'mcp-protocol-version': '1999-01-01' });
    expect(version.status).toBe(400);
    const accept = await post(rpc('tools/call', { name: 'health_check' }), { accept: 'application/json' });
    expect(accept.status).toBe(406);
  });

  it('answers tools/call arguments that are not an object with -32602 and one line (issue 10)', async () => {
    for (const [args, kind] of [
      [[1, 2], 'an array'],
      [null, 'null'],
    ] as const) {
      const res = await post(rpc('tools/call', { name: 'health_check', arguments: args }));
      const body = (await res.json()) as { error: { code: number; message: string } };
      expect(body.error.code).toBe(-32602);
      expect(body.error.message).toBe(
        `MCP error -32602: Invalid params: params.arguments must be an object of named arguments, got ${kind}`,
      );
    }
  });

  it('answers malformed JSON and invalid JSON-RPC with protocol errors', async () => {
    const bad = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
    const notRpc = await post('{"hello":"world"}');
    expect(notRpc.status).toBe(400);
    expect(await notRpc.json()).toMatchObject({ error: { code: -32700 } });
    const noMethod = await post(rpc('sessions/steal'));
    expect(await noMethod.json()).toMatchObject({ id: 1, error: { code: -32601 } });
    const emptyBatch = await post('[]');
    expect(emptyBatch.status).toBe(400);
    expect(await emptyBatch.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid Request: empty batch' },
    });
  });

  it('refuses a foreign Origin or Host with 403 problem+json before doing anything', async () => {
    const foreign: Array<Record<string, string>> = [{ origin: 'http://evil.example' }, { host: 'evil.example:8678' }];
    for (const headers of foreign) {
      const res = await post(rpc('tools/call', { name: 'create_session', arguments: { name: 'x' } }), headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 403, code: 'forbidden' });
    }
    const page = await app.services.sessions.list(
      { tenantId: 'default' },
      { sort: 'createdAt', order: 'desc', limit: 50 },
    );
    expect(page.items).toHaveLength(0);
  });

  it('answers a batch in order, one call after another: results, errors and notifications as JSON-RPC says', async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'create_session', arguments: { name: 'b1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'b', method: 'no/such/method' },
      { jsonrpc: '2.0', id: 'c', method: 'tools/call', params: { name: 'health_check', arguments: {} } },
    ]);
    const res = await post(batch);
    expect(res.status).toBe(200);
    const answers = (await res.json()) as Array<{ id: string; result?: unknown; error?: { code: number } }>;
    expect(answers.map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(answers[0]?.result).toBeDefined();
    expect(answers[1]?.error?.code).toBe(-32601);
    expect(answers[2]?.result).toBeDefined();
    // Only notifications: 202 and no body. An invalid message still refuses the whole batch (the SDK's answer).
    expect((await post(JSON.stringify([{ jsonrpc: '2.0', method: 'notifications/initialized' }]))).status).toBe(202);
    const invalid = await post(JSON.stringify([JSON.parse(rpc('tools/list')), { hello: 1 }]));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: -32700 } });
    // A request-level refusal (no Accept) is one answer, not one per message.
    const noAccept = await post(
      JSON.stringify([JSON.parse(rpc('tools/list', {}, 1)), JSON.parse(rpc('tools/list', {}, 2))]),
      {
        accept: 'application/json',
      },
    );
    expect(noAccept.status).toBe(406);
    expect(await noAccept.json()).toMatchObject({ id: null, error: { code: -32000 } });
  });

  it('stops answering a request at mcp.maxResponseBytes and refuses batches past mcp.maxBatchCalls', async () => {
    const small = await createApplication(
      testConfig({ mcp: { enabled: true, maxBatchCalls: 3, maxResponseBytes: 1_048_576 } }),
      createLogger('silent'),
      { defaultMetrics: false },
    );
    const session = await small.services.sessions.create(
      { tenantId: 'default' },
      { name: 'big', project: 'p', metadata: {} },
    );
    for (let i = 0; i < 3; i++) {
      await small.services.messages.add({ tenantId: 'default' }, session.id, {
        role: 'user',
        content: 'y'.repeat(190_000),
        metadata: {},
      });
    }
    const exportCall = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'export_session', arguments: { session_id: session.id } },
    });
    // One export is about 2 × 570 KB (the text and the structured result): over the budget alone.
    const single = await post(JSON.stringify(exportCall(7)), {}, small);
    expect(await single.json()).toMatchObject({
      id: 7,
      error: { code: -32000, message: expect.stringContaining('mcp.maxResponseBytes (1048576 bytes)') },
    });
    const batch = await post(
      JSON.stringify([
        JSON.parse(rpc('tools/call', { name: 'health_check', arguments: {} }, 1)),
        exportCall(2),
        exportCall(3),
      ]),
      {},
      small,
    );
    const answers = (await batch.json()) as Array<{ id: number; result?: unknown; error?: { data: unknown } }>;
    expect(answers.map((a) => [a.id, a.result ? 'result' : 'error'])).toEqual([
      [1, 'result'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(answers[2]?.error?.data).toEqual({ limit: 'mcp.maxResponseBytes', maxResponseBytes: 1_048_576 });
    const tooMany = await post(
      JSON.stringify([1, 2, 3, 4].map((id) => JSON.parse(rpc('tools/list', {}, id)))),
      {},
      small,
    );
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringContaining('exceeds mcp.maxBatchCalls (3)') },
    });
    await small.close();
  });

  it('answers GET and DELETE with 405 (stateless: no stream, no session)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await app.http.request('http://localhost:8678/mcp', { method, headers: HEADERS });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('applies the body limit to /mcp', async () => {
    const big = rpc('tools/call', { name: 'create_session', arguments: { name: 'x'.repeat(5000) } });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('requires a bearer token when auth is on, and scopes calls to its tenant', async () => {
    const secured = await createApplication(
      testConfig({ mcp: { enabled: true }, auth: { enabled: true, secret: SECRET } }),
      createLogger('silent'),
      { defaultMetrics: false },
    );
    const token = (tenant: string) =>
      new SignJWT({ tenant })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('unit')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(SECRET));
    const create = rpc('tools/call', { name: 'create_session', arguments: { name: 'mine' } });

    const anonymous = await post(create, {}, secured);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'unauthorized' });

    const created = await post(create, { authorization: `Bearer ${await token('team-a')}` }, secured);
    const { result } = (await created.json()) as { result: { structuredContent: { id: string; tenant_id: string } } };
    expect(result.structuredContent.tenant_id).toBe('team-a');

    const get = rpc('tools/call', { name: 'get_session', arguments: { session_id: result.structuredContent.id } });
    const foreign = await post(get, { authorization: `Bearer ${await token('team-b')}` }, secured);
    expect(await foreign.json()).toMatchObject({ result: { isError: true } });
    await secured.close();
  });
});
