import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { testConfig } from '../helpers/config.js';

// Mahavishnu-style client: snake_case calls over MCP in process, DuckDB filled by the real analytics sync.
let app: Application;
let alpha: Client;
let beta: Client;
let alphaSession: string;
let betaSession: string;

async function connect(tenantId: string): Promise<Client> {
  const server = createMcpServer(
    mcpTools(app.operations),
    { name: 'Session-Buddy', version: 'test' },
    { services: app.services, principal: { tenantId }, logger: app.logger },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const c = new Client({ name: 'mahavishnu-like', version: '1' });
  await c.connect(clientSide);
  return c;
}

async function call(c: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await c.callTool({ name, arguments: args })) as CallToolResult;
}

async function ok<T>(c: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await call(c, name, args);
  const text = result.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  expect(result.isError, text).toBeFalsy();
  return result.structuredContent as T;
}

function errorText(result: CallToolResult): string {
  expect(result.isError).toBe(true);
  return result.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

beforeAll(async () => {
  app = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false, role: 'cli' });
  alpha = await connect('alpha');
  beta = await connect('beta');
  alphaSession = (
    await ok<{ id: string }>(alpha, 'create_session', {
      name: 'auth work',
      project: 'auth-service',
      metadata: { workflow_id: 'wf-auth' },
    })
  ).id;
  for (const [role, content] of [
    ['user', 'Implement JWT authentication'],
    ['assistant', 'Implemented JWT authentication'],
    ['user', 'thanks'],
  ]) {
    await ok(alpha, 'add_message', { session_id: alphaSession, role, content });
  }
  await ok(alpha, 'store_reflection', { content: 'JWT needs key rotation', project: 'auth-service' });
  betaSession = (
    await ok<{ id: string }>(beta, 'create_session', {
      name: 'beta secret',
      project: 'beta-project',
      metadata: { workflow_id: 'wf-auth' },
    })
  ).id;
  await ok(beta, 'add_message', { session_id: betaSession, role: 'user', content: 'beta-secret-content' });
  const report = await app.analytics.sync.run();
  expect(report.ran).toBe(true);
});

afterAll(async () => {
  await alpha?.close();
  await beta?.close();
  await app?.close();
});

describe('analytics tools over MCP (facts from the real sync)', () => {
  it('lists the three tools read-only, with snake_case output schemas', async () => {
    const { tools } = await alpha.listTools();
    const byName = new Map((tools as Tool[]).map((t) => [t.name, t]));
    for (const name of ['query_analytics', 'get_session_analytics', 'get_activity_summary']) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
    }
    expect(Object.keys(byName.get('get_activity_summary')?.outputSchema?.properties ?? {})).toEqual(
      expect.arrayContaining(['per_day', 'messages_by_role', 'top_projects', 'data_as_of']),
    );
    expect(Object.keys(byName.get('query_analytics')?.inputSchema.properties ?? {}).sort()).toEqual([
      'limit',
      'params',
      'sql',
    ]);
  });

  it('query_analytics sees only the caller tenant and refuses everything else', async () => {
    const mine = await ok<{ rows: unknown[][]; row_count: number; truncated: boolean }>(alpha, 'query_analytics', {
      sql: 'SELECT role, count(*) AS n FROM messages WHERE session_id = $1 GROUP BY role ORDER BY role',
      params: [alphaSession],
    });
    expect(mine).toMatchObject({
      rows: [
        ['assistant', 1],
        ['user', 2],
      ],
      row_count: 2,
      truncated: false,
    });
    const all = await ok<{ rows: unknown[][] }>(alpha, 'query_analytics', {
      sql: "SELECT string_agg(content, '|') FROM messages",
    });
    expect(String(all.rows[0]?.[0])).not.toContain('beta-secret');
    const theirs = await ok<{ rows: unknown[][] }>(beta, 'query_analytics', { sql: 'SELECT count(*) FROM messages' });
    expect(theirs.rows).toEqual([[1]]);
    expect(errorText(await call(alpha, 'query_analytics', { sql: 'SELECT * FROM facts.messages' }))).toMatch(
      /^validation_failed: table 'facts.messages' is not available/,
    );
    expect(errorText(await call(alpha, 'query_analytics', { sql: "SELECT * FROM read_csv('/etc/passwd')" }))).toMatch(
      /function read_csv is not allowed/,
    );
    expect(errorText(await call(alpha, 'query_analytics', { sql: 'DELETE FROM messages' }))).toMatch(
      /only SELECT or WITH statements are allowed/,
    );
    expect(errorText(await call(alpha, 'query_analytics', { sql: 'SELECT nope FROM messages' }))).toMatch(
      /^validation_failed: query failed: Binder Error/,
    );
  });

  it('get_session_analytics answers for the owner only', async () => {
    const s = await ok<Record<string, unknown>>(alpha, 'get_session_analytics', { session_id: alphaSession });
    expect(s).toMatchObject({
      session_id: alphaSession,
      project: 'auth-service',
      messages: 3,
      by_role: { user: { messages: 2 }, assistant: { messages: 1 }, system: { messages: 0 } },
    });
    expect(s.data_as_of).toEqual(expect.any(String));
    expect((s.per_day as unknown[]).length).toBe(1);
    expect(errorText(await call(beta, 'get_session_analytics', { session_id: alphaSession }))).toBe(
      `not_found: session '${alphaSession}' not found`,
    );
  });

  it('get_activity_summary counts today for the caller', async () => {
    const a = await ok<Record<string, unknown>>(alpha, 'get_activity_summary', { days: 2 });
    expect(a).toMatchObject({
      days: 2,
      totals: { sessions: 1, messages: 3, reflections: 1, dead_letters: 0, active_sessions: 1 },
      messages_by_role: { user: 2, assistant: 1 },
      top_projects: [{ project: 'auth-service', sessions: 1, messages: 3 }],
    });
    expect((a.per_day as unknown[]).length).toBe(2);
    const b = await ok<Record<string, unknown>>(beta, 'get_activity_summary', { project: 'auth-service' });
    expect(b).toMatchObject({ project: 'auth-service', totals: { sessions: 0, messages: 0 } });
  });
});

describe('Mahavishnu polls over MCP (snake_case, structured)', () => {
  it('get_session_analytics, get_workflow_metrics and get_activity_summary in one poll', async () => {
    const session = await ok<Record<string, unknown>>(alpha, 'get_session_analytics', { session_id: alphaSession });
    expect(session).toMatchObject({ session_id: alphaSession, messages: 3, reflections: 0 });
    const workflows = await ok<Record<string, unknown>>(alpha, 'get_workflow_metrics', { workflow_id: 'wf-auth' });
    expect(workflows).toMatchObject({
      workflow_id: 'wf-auth',
      days: null,
      truncated: false,
      workflows: [
        {
          workflow_id: 'wf-auth',
          sessions: 1,
          by_status: { active: 1, ended: 0, archived: 0 },
          projects: ['auth-service'],
          messages: 3,
          session_ids: [alphaSession],
        },
      ],
    });
    expect(workflows.data_as_of).toEqual(expect.any(String));
    const theirs = await ok<{ workflows: Array<{ session_ids: string[] }> }>(beta, 'get_workflow_metrics', {});
    expect(theirs.workflows.map((w) => w.session_ids)).toEqual([[betaSession]]);
    const activity = await ok<Record<string, unknown>>(alpha, 'get_activity_summary', { days: 1 });
    expect(activity).toMatchObject({ totals: { messages: 3 } });
  });

  it('get_insights answers structured, per tenant, and names a bad argument', async () => {
    const r = await ok<Record<string, unknown>>(alpha, 'get_insights', { project: 'auth-service', period: '1w' });
    expect(r).toMatchObject({ project: 'auth-service', days: 7, activity: { change: { messages: { current: 3 } } } });
    expect(Object.keys(r)).toEqual(
      expect.arrayContaining(['errors', 'topics', 'patterns', 'anomalies', 'recommendations', 'data_as_of']),
    );
    expect(JSON.stringify(r)).not.toContain('beta-secret');
    expect(JSON.stringify(await ok(beta, 'get_insights', {}))).not.toContain(alphaSession);
    expect(errorText(await call(alpha, 'get_insights', { days: 0 }))).toMatch(/^validation_failed: .*days/);
  });
});

describe('analytics over REST (same operations)', () => {
  it('POST /v1/analytics/query answers rows; refused SQL is a 400 problem naming it', async () => {
    const post = (sql: string) =>
      app.http.request('/v1/analytics/query', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
    const good = await post('SELECT count(*) AS n FROM sessions');
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ columns: [{ name: 'n', type: 'BIGINT' }], rowCount: 1 });
    const bad = await post("ATTACH '/tmp/x.duckdb'");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('only SELECT or WITH statements are allowed');
    const insights = await app.http.request('/v1/analytics/insights?period=2w');
    expect(insights.status).toBe(200);
    expect(((await insights.json()) as { activity: { perDay: unknown[] } }).activity.perDay).toHaveLength(14);
    const workflows = await app.http.request('/v1/analytics/workflows?workflowId=wf-auth');
    expect(workflows.status).toBe(200);
    // REST here runs as the default tenant: alpha's and beta's workflow is not its own.
    expect(await workflows.json()).toMatchObject({ workflowId: 'wf-auth', workflows: [] });
    const activity = await app.http.request('/v1/analytics/activity?days=3');
    expect(activity.status).toBe(200);
    expect(((await activity.json()) as { perDay: unknown[] }).perDay).toHaveLength(3);
  });
});
