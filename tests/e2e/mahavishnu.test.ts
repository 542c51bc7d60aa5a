import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { type Mode, type ModeEnvironment, modeEnvironment, ok, textOf } from './mcp-harness.js';

/**
 * Plays Mahavishnu: the real MCP SDK client over streamable HTTP with auth on, sending exactly the documented
 * snake_case arguments (docs/ecosystem.md) through a whole orchestration, in lite and standard mode.
 */
const SECRET = 'mahavishnu-e2e-secret-0123456789abcdef';
const PROJECTS = ['auth-service', 'billing-service', 'gateway'];
const MESSAGES_PER_PROJECT = 40;

type Json = Record<string, unknown>;
interface LinkedSession extends Json {
  id: string;
  project: string;
  status: string;
  parent_session_id: string | null;
  workflow_id: string | null;
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mahavishnu', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return client;
}

describe.each<Mode>(['lite', 'standard'])('Mahavishnu orchestration over MCP HTTP with auth, %s mode', (mode) => {
  let environment: ModeEnvironment;
  let server: RunningCli;
  let client: Client;
  let dataDir: string;
  const workflowId = `wf-e2e-${mode}`;

  beforeAll(async () => {
    environment = await modeEnvironment(mode);
    dataDir = mkdtempSync(join(tmpdir(), 'sb-mahavishnu-'));
    // Standard mode runs its workers in the API process (embedding, analytics): one server plays the whole service.
    server = await startCli([`--mode=${mode}`, '--mcp', ...(mode === 'standard' ? ['--workers'] : [])], {
      ...environment.env,
      SESSION_BUDDY_AUTH__ENABLED: 'true',
      SESSION_BUDDY_AUTH__SECRET: SECRET,
      SESSION_BUDDY_ANALYTICS__PATH: mode === 'standard' ? join(dataDir, 'analytics.duckdb') : ':memory:',
    });
    const token = await new SignJWT({ tenant: 'mahavishnu' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mahavishnu')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    client = await connect(`${server.url}/mcp`, token);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await environment?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a workflow across three projects: sessions, streamed messages, checkpoints, delegation, resume, end, analytics', async () => {
    const c = client;
    // Workflow state first: a new workflow is version 1.
    const state = await ok<Json>(c, 'store_workflow_state', {
      workflow_id: workflowId,
      state: { phase: 'plan', projects: PROJECTS },
      expected_version: 0,
    });
    expect(state).toMatchObject({ workflow_id: workflowId, version: 1 });

    const root = await ok<LinkedSession>(c, 'create_session', {
      name: 'orchestrate release',
      metadata: { project: 'mahavishnu' },
      workflow_id: workflowId,
    });
    // The documented call, verbatim, plus the parent that makes it a delegated session.
    const sessions: LinkedSession[] = [];
    for (const project of PROJECTS) {
      sessions.push(
        await ok<LinkedSession>(c, 'create_session', {
          name: `microservice-${project}`,
          metadata: { project },
          parent_session_id: root.id,
        }),
      );
    }
    expect(sessions.map((s) => s.project)).toEqual(PROJECTS);

    // Stream messages at a high rate, all at once, each with an idempotency key; then retry a third of them.
    const send = (s: LinkedSession, i: number) =>
      ok<{ message: Json; created: boolean }>(c, 'add_message', {
        session_id: s.id,
        role: i % 2 ? 'assistant' : 'user',
        content:
          i === 0
            ? `Implement JWT authentication for ${s.project} in src/${s.project}/jwt.ts`
            : `step ${i} of ${s.project}`,
        idempotency_key: `${s.id}:${i}`,
      });
    // The opening message first (it states the goal), then the rest concurrently.
    const opening = await Promise.all(sessions.map((s) => send(s, 0)));
    const streamed = await Promise.all(
      sessions.flatMap((s) => Array.from({ length: MESSAGES_PER_PROJECT - 1 }, (_, i) => send(s, i + 1))),
    );
    const first = [...opening, ...streamed];
    expect(first.every((r) => r.created)).toBe(true);
    const retries = await Promise.all(sessions.flatMap((s) => Array.from({ length: 13 }, (_, i) => send(s, i * 3))));
    expect(retries.some((r) => r.created)).toBe(false);
    for (const s of sessions) {
      expect(await ok<Json>(c, 'get_session', { session_id: s.id })).toMatchObject({
        message_count: MESSAGES_PER_PROJECT,
      });
    }

    // Checkpoints: Mahavishnu's call and the lifecycle one.
    const [auth, billing, gateway] = sessions as [LinkedSession, LinkedSession, LinkedSession];
    const cp = await ok<{ checkpoint: Json; created: boolean }>(c, 'store_conversation_checkpoint', {
      session_id: auth.id,
      checkpoint_type: 'milestone',
      quality_score: 82,
      content: 'JWT issuing works; refresh tokens next',
      state: { step: 'refresh-tokens' },
    });
    expect(cp.checkpoint).toMatchObject({ seq: 1, checkpoint_type: 'milestone', quality_score: 82, message_count: 40 });
    await ok(c, 'checkpoint_session', {
      session_id: billing.id,
      name: 'invoices done',
      open_tasks: ['refunds'],
      state: { step: 'refunds' },
    });
    const loose = await ok<{ checkpoint: { session_id: string } }>(c, 'store_conversation_checkpoint', {
      checkpoint_type: 'plan',
      content: 'release plan agreed',
      project: 'mahavishnu',
      workflow_id: workflowId,
    });

    // Delegate a child session of the auth work to a sub-agent; it works and ends with a hand-off.
    const child = await ok<LinkedSession>(c, 'create_session', {
      name: 'refresh tokens sub-agent',
      parent_session_id: auth.id,
    });
    expect(child.project).toBe('auth-service');
    await ok(c, 'add_message', { session_id: child.id, role: 'assistant', content: 'Refresh tokens rotate now' });
    const childEnd = await ok<{ session: Json; handoff: string }>(c, 'end_session', {
      session_id: child.id,
      next_steps: ['review rotation window'],
    });
    expect(childEnd.session).toMatchObject({ status: 'ended' });
    expect(childEnd.handoff).toContain('- review rotation window');

    // Resume the auth session as a new agent would.
    const resumed = await ok<
      Json & { last_checkpoint: Json; recent_messages: Json[]; child_sessions: LinkedSession[] }
    >(c, 'resume_session', { session_id: auth.id });
    expect(resumed.session).toMatchObject({ id: auth.id, parent_session_id: root.id, workflow_id: workflowId });
    expect(resumed.last_checkpoint).toMatchObject({
      checkpoint_type: 'milestone',
      summary: 'JWT issuing works; refresh tokens next',
    });
    expect(resumed.recent_messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 21 + i));
    expect(resumed.child_sessions.map((s) => [s.id, s.status])).toEqual([[child.id, 'ended']]);
    expect((resumed.summary as Json).goal).toContain('Implement JWT authentication');

    // Cross-project: every session of the workflow, and conversations found by search.
    const wf = await ok<{ items: LinkedSession[] }>(c, 'list_workflow_sessions', { workflow_id: workflowId });
    expect(wf.items.map((s) => s.id).sort()).toEqual(
      [root.id, auth.id, billing.id, gateway.id, loose.checkpoint.session_id, child.id].sort(),
    );
    const found = await ok<{ conversations: Json[] }>(c, 'search_conversations', {
      query: 'JWT authentication',
      limit: 5,
    });
    expect(found.conversations.length).toBeGreaterThan(0);
    expect(found.conversations[0]).toMatchObject({ session_id: expect.any(String), content: expect.any(String) });

    // Workflow state: a writer holding an old version is refused.
    await ok(c, 'store_workflow_state', { workflow_id: workflowId, state: { phase: 'build' }, expected_version: 1 });
    const stale = (await c.callTool({
      name: 'store_workflow_state',
      arguments: { workflow_id: workflowId, state: { phase: 'late' }, expected_version: 1 },
    })) as CallToolResult;
    expect(stale.isError).toBe(true);
    expect(textOf(stale)).toMatch(/^conflict: .*version 2, not 1/);
    expect(await ok(c, 'get_workflow_state', { workflow_id: workflowId })).toMatchObject({
      version: 2,
      state: { phase: 'build' },
    });

    // Code-graph hand-off: one graph per project at a commit; Akosha lists them and reads one.
    for (const project of PROJECTS) {
      const g = await ok<Json>(c, 'store_code_graph_from_mahavishnu', {
        project,
        commit: 'a1b2c3d',
        graph: { nodes: [{ id: `${project}/main.ts` }, { id: `${project}/jwt.ts` }], edges: [{ from: 0, to: 1 }] },
        metadata: { workflow_id: workflowId },
      });
      expect(g).toMatchObject({ project, commit: 'a1b2c3d', node_count: 2, edge_count: 1 });
    }
    const graphs = await ok<{ items: Json[] }>(c, 'list_code_graphs', { limit: 10 });
    expect(graphs.items.map((g) => g.project).sort()).toEqual([...PROJECTS].sort());
    expect(await ok(c, 'get_code_graph', { project: 'gateway', commit: 'a1b2c3d' })).toMatchObject({
      graph: { nodes: [{ id: 'gateway/main.ts' }, { id: 'gateway/jwt.ts' }] },
    });

    // End every project session, then the orchestrator's.
    for (const s of sessions) {
      const end = await ok<{ session: Json; checkpoint: Json; handoff: string }>(c, 'end_session', {
        session_id: s.id,
        next_steps: [`deploy ${s.project}`],
      });
      expect(end.session).toMatchObject({ status: 'ended' });
      expect(end.handoff).toContain(`# Hand-off: microservice-${s.project}`);
    }
    await ok(c, 'end_session', { session_id: root.id });

    // Poll analytics until the facts have caught up with what was written.
    for (const s of sessions) {
      await vi.waitFor(
        async () => {
          const a = await ok<Json>(c, 'get_session_analytics', { session_id: s.id });
          expect(a).toMatchObject({ messages: MESSAGES_PER_PROJECT, status: 'ended' });
        },
        { timeout: 90_000, interval: 500 },
      );
    }
    const activity = await ok<{ totals: Json }>(c, 'get_activity_summary', { project: 'auth-service', days: 1 });
    expect(activity.totals).toMatchObject({ sessions: 2, messages: MESSAGES_PER_PROJECT + 1 });
  }, 240_000);
});
