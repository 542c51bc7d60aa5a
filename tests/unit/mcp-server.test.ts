import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { TOOL_NAMES } from '../e2e/mcp-harness.js';
import { testConfig } from '../helpers/config.js';

const TOOLS = TOOL_NAMES;

let app: Application;
let client: Client;

async function connect(application: Application, tenantId = 'default'): Promise<Client> {
  const server = createMcpServer(
    mcpTools(application.operations),
    { name: 'Session-Buddy', version: 'test' },
    { services: application.services, principal: { tenantId }, logger: application.logger },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const c = new Client({ name: 'unit', version: '1' });
  await c.connect(clientSide);
  return c;
}

async function call(name: string, args: Record<string, unknown>, c = client): Promise<CallToolResult> {
  return (await c.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

beforeAll(async () => {
  app = await createApplication(
    testConfig({ limits: { batchMessages: 5, messageContentChars: 100 } }),
    createLogger('silent'),
    {
      defaultMetrics: false,
    },
  );
  client = await connect(app);
});

afterAll(async () => {
  await client.close();
  await app.close();
});

describe('MCP server (in process)', () => {
  it('lists every tool with a description, strict input schema, output schema and all four hints', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools as Tool[]) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
      expect(tool.outputSchema, tool.name).toMatchObject({ type: 'object' });
      expect(Object.keys(tool.annotations ?? {}).sort(), tool.name).toEqual(
        ['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint', 'title'].sort(),
      );
      expect(tool.annotations?.openWorldHint).toBe(false);
      if (tool.annotations?.readOnlyHint) expect(tool.annotations.destructiveHint, tool.name).toBe(false);
    }
    const limits = tools.find((t) => t.name === 'add_messages')?.inputSchema.properties?.messages;
    expect(limits).toMatchObject({ type: 'array', minItems: 1, maxItems: 5 });
    // Argument and result names are the original system's: snake_case.
    const addMessage = tools.find((t) => t.name === 'add_message') as Tool;
    expect(Object.keys(addMessage.inputSchema.properties ?? {}).sort()).toEqual(
      ['content', 'created_at', 'idempotency_key', 'metadata', 'role', 'session_id'].sort(),
    );
    expect(addMessage.inputSchema.required).toEqual(expect.arrayContaining(['session_id', 'role', 'content']));
    const message = (addMessage.outputSchema?.properties?.message ?? {}) as { properties?: Record<string, unknown> };
    expect(Object.keys(message.properties ?? {})).toEqual(expect.arrayContaining(['session_id', 'created_at']));
  });

  it('gives every output schema a $id of its tool and content, so validating clients compile it once', async () => {
    const { tools } = await client.listTools();
    const ids = tools.map((t) => (t.outputSchema as { $id?: string }).$id);
    expect(new Set(ids).size).toBe(tools.length);
    for (const [i, tool] of tools.entries())
      expect(ids[i]).toMatch(new RegExp(`^urn:session-buddy:tool-output:${tool.name}:[0-9a-f]{16}$`));
    // The same catalogue lists the same ids (a client's compiled validators stay valid); no noise bounds are listed.
    const again = [...mcpTools(app.operations).values()].map(
      (t) => (t.definition.outputSchema as { $id?: string }).$id,
    );
    expect(again.sort()).toEqual([...ids].sort());
    expect(JSON.stringify(tools)).not.toContain(String(Number.MAX_SAFE_INTEGER));
    // The SDK client keeps what it compiled under those ids: listing again compiles nothing new.
    const validator = (client as unknown as { _jsonSchemaValidator: { _ajv: { getSchema(id: string): unknown } } })
      ._jsonSchemaValidator;
    for (const id of ids) expect(validator._ajv.getSchema(id as string), id).toBeTypeOf('function');
  });

  it('answers with structuredContent and readable text, scoped to the principal', async () => {
    const created = await call('create_session', { name: 'unit', project: 'sb/unit', metadata: { a: 1 } });
    expect(created.isError).toBeFalsy();
    const session = created.structuredContent as { id: string; tenant_id: string };
    expect(session).toMatchObject({ name: 'unit', project: 'sb/unit', status: 'active', tenant_id: 'default' });
    expect(text(created)).toContain(`Created session 'unit' (${session.id})`);

    const other = await connect(app, 'someone-else');
    const hidden = await call('get_session', { sessionId: session.id }, other);
    expect(hidden.isError).toBe(true);
    expect(text(hidden)).toBe(`not_found: session '${session.id}' not found`);
    await other.close();
  });

  it('turns domain errors into isError results that name the problem, and changes nothing', async () => {
    const { id } = (await call('create_session', { name: 'errors' })).structuredContent as { id: string };
    await call('update_session', { sessionId: id, status: 'archived' });
    const conflict = await call('update_session', { sessionId: id, status: 'active', name: 'renamed' });
    expect(conflict.isError).toBe(true);
    expect(text(conflict)).toMatch(/^conflict: session '.*' cannot go from archived to active$/);
    const after = (await call('get_session', { sessionId: id })).structuredContent;
    expect(after).toMatchObject({ name: 'errors', status: 'archived' });

    const empty = await call('update_session', { sessionId: id });
    expect(empty.isError).toBe(true);
    expect(text(empty)).toContain('must change at least one of name, status, metadata');
  });

  it('rejects bad and oversized arguments before anything is written', async () => {
    const { id } = (await call('create_session', { name: 'limits' })).structuredContent as { id: string };
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['create_session', {}, /name/],
      ['create_session', { name: 'x', colour: 'red' }, /colour/],
      ['get_session', { sessionId: 'not-a-uuid' }, /session_id: must be a UUID/],
      ['add_message', { sessionId: id, role: 'robot', content: 'hi' }, /role/],
      ['add_message', { sessionId: id, role: 'user', content: 'x'.repeat(101) }, /content/],
      ['add_messages', { sessionId: id, messages: Array(6).fill({ role: 'user', content: 'hi' }) }, /messages/],
      ['add_messages', { sessionId: id, messages: [{ role: 'user', content: 'ok' }, { role: 'user' }] }, /content/],
      ['list_sessions', { limit: 100_000 }, /limit/],
      ['export_session', { sessionId: id, format: 'pdf' }, /format/],
    ];
    for (const [name, args, field] of cases) {
      const result = await call(name, args);
      expect(result.isError, `${name} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect(text(result)).toMatch(field);
      expect(text(result)).not.toMatch(/\n\s+at /); // no stack
    }
    expect((await call('get_session', { sessionId: id })).structuredContent).toMatchObject({ message_count: 0 });
  });

  it('answers an unknown tool with a JSON-RPC error, not a tool result', async () => {
    await expect(client.callTool({ name: 'drop_everything', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Unknown tool: drop_everything'),
    });
  });

  it('hides unexpected errors behind a generic message with no stack', async () => {
    const broken = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false });
    broken.services.sessions.get = () => Promise.reject(new Error('db exploded at /srv/secret/path.ts:12'));
    const c = await connect(broken);
    const result = await call('get_session', { sessionId: '0190f5c2-0000-7000-8000-000000000000' }, c);
    expect(result).toMatchObject({ isError: true });
    expect(text(result)).toBe('internal: An unexpected error occurred; it has been logged.');
    await c.close();
    await broken.close();
  });

  it('reports health with the dependency states (the client checks it against the output schema)', async () => {
    const health = await call('health_check', {});
    expect(health.structuredContent).toMatchObject({
      status: 'ok',
      mode: 'lite',
      ready: true,
      dependencies: [{ name: 'sqlite', state: 'up', critical: true }],
    });
    expect(text(health)).toMatch(/^Session-Buddy .+ \(lite\): ok; sqlite up\.\n\{/);
  });

  it('exports as markdown and JSON', async () => {
    const { id } = (await call('create_session', { name: 'export me' })).structuredContent as { id: string };
    await call('add_messages', {
      sessionId: id,
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi there' },
      ],
    });
    const md = await call('export_session', { sessionId: id, format: 'markdown' });
    expect(text(md)).toMatch(/^# export me\n/);
    expect(text(md)).toContain('## 2. assistant');
    const json = await call('export_session', { sessionId: id });
    const doc = JSON.parse((json.structuredContent as { document: string }).document) as { messages: unknown[] };
    expect(doc.messages).toHaveLength(2);
  });

  it("hybrid search_messages passes a question's score to its answer, and the client accepts the explanation", async () => {
    // The SDK client checks structuredContent against the tool's output schema: `explain.context` (the share of the
    // question's score an answer receives) was missing from it, so every hybrid message search that passed a score
    // on failed in the client with "Structured content does not match the tool's output schema".
    const { id } = (await call('create_session', { name: 'answers', project: 'answers' })).structuredContent as {
      id: string;
    };
    await call('add_messages', {
      session_id: id,
      messages: [
        { role: 'user', content: 'how do we rotate the signing keys of the gateway?' },
        { role: 'assistant', content: 'A cron job replaces them every 30 days and keeps the previous one valid.' },
      ],
    });
    const result = await call('search_messages', {
      q: 'rotate the signing keys of the gateway',
      mode: 'hybrid',
      project: 'answers',
    });
    expect(result.isError, text(result)).toBeFalsy();
    const items = (
      result.structuredContent as { items: Array<{ item: { role: string }; explain: { context?: number } }> }
    ).items;
    const answer = items.find((h) => h.item.role === 'assistant');
    expect(answer?.explain.context).toBeGreaterThan(0);
  });
});
