import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

/** What the e2e MCP suites share: a mode's environment and the tool tests both transports run. */

export type Mode = 'lite' | 'standard';

export const TOOL_NAMES = [
  'create_session',
  'get_session',
  'update_session',
  'list_sessions',
  'delete_session',
  'add_message',
  'add_messages',
  'get_messages',
  'checkpoint_session',
  'list_checkpoints',
  'resume_session',
  'end_session',
  'store_conversation_checkpoint',
  'list_workflow_sessions',
  'store_workflow_state',
  'get_workflow_state',
  'store_code_graph_from_mahavishnu',
  'list_code_graphs',
  'get_code_graph',
  'record_quality_run',
  'get_quality_trends',
  'crackerjack_history',
  'crackerjack_metrics',
  'export_session',
  'import_history',
  'summarize_session',
  'query_analytics',
  'get_session_analytics',
  'get_activity_summary',
  'export_analytics',
  'get_insights',
  'get_workflow_metrics',
  'store_reflection',
  'search_reflections',
  'search_messages',
  'get_reflection_stats',
  'get_near_duplicates',
  'import_memory',
  'export_reflections',
  'quick_search',
  'search_by_file',
  'search_by_concept',
  'search_conversations',
  'get_indexing_status',
  'store_pattern',
  'find_patterns',
  'get_pattern',
  'delete_pattern',
  'detect_patterns',
  'list_dead_letters',
  'get_dead_letter',
  'retry_dead_letters',
  'discard_dead_letters',
  'list_snapshots',
  'create_snapshot',
  'queue_stats',
  'sync_now',
  'sync_status',
  'health_check',
];

export interface ModeEnvironment {
  env: Record<string, string>;
  /** Removes the throwaway database, if any. */
  drop(): Promise<void>;
}

/** Lite needs nothing; standard gets its own migrated PostgreSQL database and Redis key prefix. */
export async function modeEnvironment(mode: Mode): Promise<ModeEnvironment> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests`);
  // The hash provider: these suites test MCP, not embeddings, and must not load the model in every server.
  if (mode === 'lite') {
    return { env: { SESSION_BUDDY_MODE: 'lite', SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash' }, drop: async () => {} };
  }
  const db = await createTestDatabase('test_mcp');
  const env = {
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: randomPrefix('mcp'),
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
  };
  const migrated = runCli(['migrate'], env);
  if (migrated.status !== 0) {
    await db.drop();
    throw new Error(`migrate failed: ${migrated.stderr}`);
  }
  return { env, drop: () => db.drop() };
}

export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Calls a tool that must succeed and returns its structured content. */
export async function ok<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const result = await call(client, name, args);
  expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
  return result.structuredContent as T;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : `[${part.type}]`)).join('');
}

interface SessionOut {
  id: string;
  name: string;
  status: string;
  message_count: number;
  metadata: Record<string, unknown>;
}
interface AddedOut {
  message: { seq: number; id: string };
  created: boolean;
}

/** The tool tests every transport and mode runs against a connected client. */
export function describeToolSuite(mode: Mode, client: () => Client): void {
  it('lists every tool', async () => {
    const { tools } = await client().listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
  });

  it("takes the original system's calls verbatim (snake_case) and still accepts camelCase", async () => {
    const c = client();
    // As the architecture document shows Mahavishnu calling them.
    const created = await ok<SessionOut & { project: string }>(c, 'create_session', {
      name: 'microservice-auth',
      metadata: { project: 'auth-service' },
    });
    expect(created).toMatchObject({ name: 'microservice-auth', project: 'auth-service', message_count: 0 });
    const added = await ok<{ message: Record<string, unknown>; created: boolean }>(c, 'add_message', {
      session_id: created.id,
      role: 'assistant',
      content: 'Implemented JWT authentication',
    });
    expect(added).toMatchObject({ created: true, message: { session_id: created.id, seq: 1, idempotency_key: null } });
    expect(Object.keys(added.message)).toContain('created_at');
    const camel = await ok<{ message: { seq: number } }>(c, 'add_message', {
      sessionId: created.id,
      role: 'user',
      content: 'camelCase still works',
      idempotencyKey: 'camel-1',
    });
    expect(camel.message.seq).toBe(2);
    const summary = await ok<Record<string, unknown>>(c, 'summarize_session', { session_id: created.id });
    expect(summary).toMatchObject({
      session_id: created.id,
      goal: 'camelCase still works',
      outcome: 'Implemented JWT authentication',
      counts: { messages: 2, by_role: { assistant: 1, user: 1 } },
    });
    expect(summary).toHaveProperty('files_touched');
    const both = await call(c, 'add_message', {
      session_id: created.id,
      sessionId: created.id,
      role: 'user',
      content: 'x',
    });
    expect(textOf(both)).toMatch(/session_id: given twice/);
    const unknown = await call(c, 'add_message', { session: created.id, role: 'user', content: 'x' });
    expect(textOf(unknown)).toMatch(/session_id: is required/);
    expect(textOf(unknown)).toMatch(/session: is not a known field/);
  });

  it('calls every tool', async () => {
    const c = client();
    const project = `e2e/${Math.random().toString(36).slice(2)}`;
    const session = await ok<SessionOut>(c, 'create_session', { name: 'e2e', project, metadata: { ticket: 7 } });
    expect(await ok(c, 'get_session', { session_id: session.id })).toMatchObject({ name: 'e2e', message_count: 0 });
    const updated = await ok<SessionOut>(c, 'update_session', {
      session_id: session.id,
      name: 'e2e renamed',
      metadata: { ticket: null, branch: 'main' },
    });
    expect(updated).toMatchObject({ name: 'e2e renamed', metadata: { branch: 'main' } });
    const listed = await ok<{ items: SessionOut[] }>(c, 'list_sessions', { project });
    expect(listed.items.map((s) => s.id)).toEqual([session.id]);

    const first = await ok<AddedOut>(c, 'add_message', {
      session_id: session.id,
      role: 'user',
      content: 'first',
      idempotency_key: 'k1',
    });
    const replay = await ok<AddedOut>(c, 'add_message', {
      session_id: session.id,
      role: 'user',
      content: 'first',
      idempotency_key: 'k1',
    });
    expect(replay).toEqual({ message: first.message, created: false });
    const batch = await ok<{ items: AddedOut[] }>(c, 'add_messages', {
      session_id: session.id,
      messages: [
        { role: 'assistant', content: 'second' },
        { role: 'tool', content: '{"exit":0}', metadata: { tool: 'bash' } },
      ],
    });
    expect(batch.items.map((i) => i.message.seq)).toEqual([2, 3]);

    const page1 = await ok<{ items: Array<{ content: string }>; next_cursor: string | null }>(c, 'get_messages', {
      session_id: session.id,
      limit: 2,
    });
    expect(page1.items.map((m) => m.content)).toEqual(['first', 'second']);
    const page2 = await ok<{ items: Array<{ content: string }>; next_cursor: string | null }>(c, 'get_messages', {
      session_id: session.id,
      cursor: page1.next_cursor,
    });
    expect(page2).toMatchObject({ items: [{ content: '{"exit":0}' }], next_cursor: null });

    const md = await call(c, 'export_session', { session_id: session.id, format: 'markdown' });
    expect(textOf(md)).toMatch(/^# e2e renamed\n/);
    const json = await ok<{ document: string }>(c, 'export_session', { session_id: session.id, format: 'json' });
    expect(JSON.parse(json.document)).toMatchObject({ session: { id: session.id }, messages: [{}, {}, {}] });

    const health = await ok<{ mode: string; ready: boolean; dependencies: Array<{ name: string; state: string }> }>(
      c,
      'health_check',
      {},
    );
    expect(health).toMatchObject({ mode, ready: true });
    // Standard mode without an analytics worker: the owner is reported down, not critical (ready stays true).
    const expected =
      mode === 'lite'
        ? [['sqlite', 'up']]
        : [
            ['postgresql', 'up'],
            ['redis', 'up'],
            ['analytics (circuit)', 'up'],
            ['analytics owner (remote)', 'down'],
          ];
    expect(health.dependencies.map((d) => [d.name, d.state])).toEqual(expected);

    const stored = await ok<{ created: boolean; reflection: { id: string } }>(c, 'store_reflection', {
      content: 'Rotate signing keys with an overlap window so old tokens stay valid',
      tags: ['auth', 'keys'],
      project: 'e2e',
    });
    expect(stored.created).toBe(true);
    const again = await ok<{ created: boolean; reflection: { id: string } }>(c, 'store_reflection', {
      content: '  rotate signing keys with an OVERLAP window so old tokens stay valid ',
      project: 'e2e',
    });
    expect(again).toMatchObject({ created: false, reflection: { id: stored.reflection.id } });
    const found = await ok<{ items: Array<{ item: { id: string }; explain: { text_rank: number | null } }> }>(
      c,
      'search_reflections',
      { query: 'signing keys rotation', mode: 'keyword', tags: ['auth'] },
    );
    expect(found.items[0]).toMatchObject({ item: { id: stored.reflection.id }, explain: { text_rank: 1 } });
    const messagesFound = await ok<{ items: unknown[] }>(c, 'search_messages', { query: 'first', mode: 'keyword' });
    expect(messagesFound.items.length).toBeGreaterThan(0);
    const quick = await ok<{ best: { item: { id: string } } | null }>(c, 'quick_search', {
      query: 'signing keys',
      mode: 'keyword',
      kind: 'reflections',
      project: 'e2e',
    });
    expect(quick.best?.item.id).toBe(stored.reflection.id);
    // Stored in the background by default; waiting embeds it inline and saves its vector, so the first one's
    // near duplicates, asked afterwards, include it.
    expect(stored).toMatchObject({ near_duplicate_check: 'pending', near_duplicates: [] });
    const near = await ok<{ near_duplicate_check: string; reflection: { id: string } }>(c, 'store_reflection', {
      content: 'Rotate signing keys with an overlap window, so old tokens stay valid!',
      project: 'e2e',
      wait_for_near_duplicates: true,
    });
    expect(near.near_duplicate_check).toBe('done');
    const nearDuplicates = await ok<{ reflection_id: string; near_duplicates: Array<{ id: string }> }>(
      c,
      'get_near_duplicates',
      { reflection_id: stored.reflection.id },
    );
    expect(nearDuplicates).toMatchObject({ reflection_id: stored.reflection.id, near_duplicate_check: 'done' });
    expect(nearDuplicates.near_duplicates.map((d) => d.id)).toEqual([near.reflection.id]);
    await ok(c, 'add_message', { session_id: session.id, role: 'assistant', content: 'Edited src/auth/keys.ts' });
    const indexing = await ok<{ messages: number; embedded: number; waited_ms: number }>(c, 'get_indexing_status', {
      session_id: session.id,
      wait_ms: 0,
    });
    expect(indexing.messages).toBeGreaterThan(1);
    expect(indexing.embedded).toBeLessThanOrEqual(indexing.messages);
    const byFile = await ok<{ items: Array<{ matched_path: string }> }>(c, 'search_by_file', {
      path: 'keys.ts',
      session_id: session.id,
    });
    expect(byFile.items.map((h) => h.matched_path)).toEqual(['src/auth/keys.ts']);
    const concept = await ok<{ reflections: Array<{ item: { id: string } }> }>(c, 'search_by_concept', {
      concept: 'signing keys rotation',
      kind: 'reflections',
      project: 'e2e',
    });
    expect(concept.reflections.map((h) => h.item.id)).toContain(stored.reflection.id);
    const conversations = await ok<{ sessions: Array<{ session_id: string }> }>(c, 'search_conversations', {
      query: 'first',
      mode: 'keyword',
      session_id: session.id,
    });
    expect(conversations.sessions.map((s) => s.session_id)).toEqual([session.id]);
    const reflectionStats = await ok<Record<string, unknown>>(c, 'get_reflection_stats', { project: 'e2e' });
    expect(reflectionStats).toBeTruthy();

    const pattern = await ok<{ created: boolean; pattern: { id: string } }>(c, 'store_pattern', {
      name: `Pool per replica ${project}`,
      description: 'Size connection pools per API replica so the total stays under max_connections.',
      kind: 'convention',
      project: 'e2e',
    });
    expect(pattern.created).toBe(true);
    const patterns = await ok<{ items: Array<{ id: string }> }>(c, 'find_patterns', { query: 'connection pools' });
    expect(patterns.items.map((p) => p.id)).toContain(pattern.pattern.id);
    expect(await ok(c, 'get_pattern', { pattern_id: pattern.pattern.id })).toMatchObject({ source: 'manual' });
    expect(await ok(c, 'detect_patterns', { project: 'e2e' })).toMatchObject({ queue: 'analytics', project: 'e2e' });
    expect(await ok(c, 'delete_pattern', { pattern_id: pattern.pattern.id })).toMatchObject({ deleted: true });

    const letters = await ok<{ items: unknown[]; total: number }>(c, 'list_dead_letters', { status: 'open' });
    expect(letters).toMatchObject({ items: [], total: 0 });
    expect(await ok(c, 'retry_dead_letters', { all: true })).toEqual({ matched: 0, changed: 0, ids: [] });
    expect(await ok(c, 'discard_dead_letters', { filter: { queue: 'embedding' } })).toMatchObject({ changed: 0 });
    const missingLetter = await call(c, 'get_dead_letter', { id: session.id });
    expect(textOf(missingLetter)).toMatch(/^not_found: dead letter/);
    const stats = await ok<{ queues: Record<string, { dead_letters: number }> }>(c, 'queue_stats', {});
    expect(Object.keys(stats.queues)).toEqual(['embedding', 'sync', 'analytics']);

    expect(await ok(c, 'delete_session', { session_id: session.id })).toEqual({
      session_id: session.id,
      deleted: true,
    });
    const gone = await call(c, 'get_session', { session_id: session.id });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toMatch(/^not_found: /);
  });

  it('imports a Claude Code transcript with import_history, once, keeping each time; search finds it', async () => {
    const c = client();
    const content = readFileSync(
      new URL(
        '../fixtures/claude-code/projects/-home-dev-kayak-planner/7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31.jsonl',
        import.meta.url,
      ),
      'utf8',
    );
    type Imported = { created: number; existing: number; failed: number; session: { id: string; project: string } };
    const first = await ok<Imported>(c, 'import_history', { format: 'claude-code', content });
    expect(first).toMatchObject({ failed: 0, session: { project: 'kayak-planner' } });
    expect(first.created + first.existing).toBe(8);
    const again = await ok<Imported>(c, 'import_history', { format: 'claude-code', content });
    expect(again).toMatchObject({ created: 0, existing: 8, session: { id: first.session.id } });
    const found = await ok<{ items: Array<{ item: { session_id: string; created_at: string } }> }>(
      c,
      'search_messages',
      { query: 'sunrise window', mode: 'keyword', from: '2025-10-14T00:00:00Z', to: '2025-10-15T00:00:00Z' },
    );
    expect(found.items.map((h) => [h.item.session_id, h.item.created_at])).toEqual([
      [first.session.id, '2025-10-14T09:05:00.000Z'],
    ]);
  });

  it('serves 50 concurrent calls, every append getting its own seq', async () => {
    const c = client();
    const session = await ok<SessionOut>(c, 'create_session', { name: 'concurrent' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 5 === 4
          ? call(c, 'get_session', { session_id: session.id })
          : call(c, 'add_message', { session_id: session.id, role: 'user', content: `message ${i}` }),
      ),
    );
    expect(results.filter((r) => r.isError)).toEqual([]);
    const seqs = results.flatMap((r) =>
      'message' in (r.structuredContent ?? {}) ? [(r.structuredContent as unknown as AddedOut).message.seq] : [],
    );
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await ok(c, 'get_session', { session_id: session.id })).toMatchObject({ message_count: 40 });
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(client().callTool({ name: 'format_disk', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Unknown tool: format_disk'),
    });
  });

  it('answers bad and oversized arguments with isError naming the field, and changes nothing', async () => {
    const c = client();
    const session = await ok<SessionOut>(c, 'create_session', { name: 'guarded' });
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['create_session', { name: '' }, /name/],
      ['create_session', { name: 'x', owner: 'me' }, /owner/],
      ['get_session', { session_id: 42 }, /session_id/],
      ['add_message', { session_id: session.id, role: 'narrator', content: 'x' }, /role/],
      ['add_message', { session_id: session.id, role: 'user', content: 'x'.repeat(200_001) }, /content/],
      [
        'add_messages',
        { session_id: session.id, messages: Array(501).fill({ role: 'user', content: 'x' }) },
        /messages/,
      ],
      [
        'add_messages',
        {
          session_id: session.id,
          messages: [
            { role: 'user', content: 'ok' },
            { role: 'user', content: '' },
          ],
        },
        /content/,
      ],
      ['update_session', { session_id: session.id, status: 'deleted' }, /status/],
      ['get_messages', { session_id: session.id, cursor: 'not-a-cursor' }, /cursor/],
    ];
    for (const [name, args, field] of cases) {
      const result = await call(c, name, args);
      expect(result.isError, name).toBe(true);
      expect(textOf(result)).toMatch(field);
      expect(textOf(result)).not.toMatch(/\n\s+at .+:\d+/);
    }
    await ok(c, 'update_session', { session_id: session.id, status: 'archived' });
    const conflict = await call(c, 'update_session', { session_id: session.id, status: 'active', name: 'changed' });
    expect(textOf(conflict)).toMatch(/^conflict: /);
    expect(await ok(c, 'get_session', { session_id: session.id })).toMatchObject({
      name: 'guarded',
      status: 'archived',
      message_count: 0,
    });
  });
}
