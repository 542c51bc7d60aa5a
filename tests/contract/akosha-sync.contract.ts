import { afterEach, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import type { SyncNowAnswer, SyncStatusAnswer } from '../../src/domain/sync.model.js';
import { runOperation } from '../../src/operations/run-operation.js';
import { type FakeAkosha, type FakeAkoshaOptions, startFakeAkosha } from '../helpers/akosha-server.js';
import { waitFor } from '../helpers/wait.js';

type Open = (overrides: Record<string, unknown>) => Promise<{ app: Application; cleanup(): Promise<void> }>;

const TOKEN = 'akosha-test-token';
/** Akosha down then back waits for the breaker to half-open (30 s by default) and a retry after it. */
const CATCH_UP_MS = 120_000;

const ctx = (app: Application, tenantId = 'ak-t1') => ({ principal: { tenantId }, services: app.services });
const op = <T>(app: Application, name: string, input: Record<string, unknown> = {}, tenantId?: string) =>
  runOperation<T>(app.operations, name, ctx(app, tenantId), input);
const status = (app: Application) => op<SyncStatusAnswer>(app, 'sync_status');

async function reflection(app: Application, content: string, tenantId = 'ak-t1'): Promise<string> {
  const stored = await op<{ reflection: { id: string } }>(
    app,
    'store_reflection',
    { content, tags: ['akosha'], project: 'ak' },
    tenantId,
  );
  return stored.reflection.id;
}

/** The stored memories by the id of the item they stand for. */
function byItem(fake: FakeAkosha): Map<string, Array<Record<string, unknown>>> {
  const items = new Map<string, Array<Record<string, unknown>>>();
  for (const memory of fake.stored().values()) {
    const itemId = (memory.metadata as { item_id: string }).item_id;
    items.set(itemId, [...(items.get(itemId) ?? []), memory]);
  }
  return items;
}

/** Waits until nothing is pending and the last run succeeded. */
const synced = (app: Application, timeoutMs?: number) =>
  waitFor(
    'the Akosha sync to catch up',
    async () => {
      const s = await status(app);
      return s.pending === 0 && s.lastError === null && s.lastSuccessAt !== null ? s : undefined;
    },
    timeoutMs,
  );

/**
 * The Akosha sync on one store and queue backend, against a real MCP server (tests/helpers/akosha-server.ts) that
 * records what it receives. Default timings everywhere (queue retries, breaker). Instantiated by
 * tests/unit/akosha-sync.lite.test.ts and tests/integration/akosha-sync.standard.test.ts.
 */
export function describeAkoshaSync(name: string, open: Open) {
  describe(`Akosha sync: ${name}`, () => {
    const opened: Array<{ app: Application; cleanup(): Promise<void> }> = [];
    const fakes: FakeAkosha[] = [];

    async function start(options?: FakeAkoshaOptions, overrides: Record<string, unknown> = {}) {
      const fake = await startFakeAkosha(TOKEN, options);
      fakes.push(fake);
      const env = await open({ sync: { akoshaEnabled: true, akoshaUrl: fake.url, akoshaToken: TOKEN }, ...overrides });
      opened.push(env);
      return { app: env.app, fake };
    }

    afterEach(async () => {
      for (const { app, cleanup } of opened.splice(0)) {
        await app.close();
        await cleanup();
      }
      for (const fake of fakes.splice(0)) await fake.close();
    });

    it('pushes reflections, patterns, summaries and code graphs of every tenant; then only what changed', async () => {
      const { app, fake } = await start();
      const r1 = await reflection(app, 'Pin pyjwt to fix the auth tests');
      const r2 = await reflection(app, 'Other tenant: cache the token', 'ak-t2');
      const pattern = await op<{ pattern: { id: string } }>(app, 'store_pattern', {
        name: 'Retry with jitter',
        description: 'Back off with jitter when a dependency fails',
        kind: 'best-practice',
        project: 'ak',
      });
      const graph = await op<{ id: string }>(app, 'store_code_graph_from_mahavishnu', {
        project: 'ak',
        commit: 'a1b2c3d',
        graph: { nodes: [{ id: 'a' }, { id: 'b' }], edges: [{ from: 'a', to: 'b' }] },
      });
      const session = await op<{ id: string }>(app, 'create_session', { name: 'auth work', project: 'ak' });
      await op(app, 'add_messages', {
        sessionId: session.id,
        messages: [
          { role: 'user', content: 'Fix the login test' },
          { role: 'assistant', content: 'We decided to use bcrypt. Done.' },
        ],
      });
      await op(app, 'summarize_session', { sessionId: session.id });

      const queued = await op<SyncNowAnswer>(app, 'sync_now');
      expect(queued.queued).toBe(true);
      expect(queued.jobKey).toMatch(/^akosha-sync-w1-\d+$/);
      const done = await synced(app);

      const items = byItem(fake);
      for (const id of [r1, r2, pattern.pattern.id, graph.id, session.id]) expect(items.get(id)).toHaveLength(1);
      const [mine] = items.get(r1) ?? [];
      expect(mine).toMatchObject({
        content: 'Pin pyjwt to fix the auth tests',
        source: 'session-buddy',
        kind: 'reflection',
        tenant_id: 'ak-t1',
        project: 'ak',
        tags: ['akosha'],
      });
      expect(mine?.id).toBe(`session-buddy:ak-t1:reflection:${r1}:${mine?.updated_at}`);
      expect(items.get(r2)?.[0]).toMatchObject({ tenant_id: 'ak-t2', kind: 'reflection' });
      expect(items.get(graph.id)?.[0]).toMatchObject({ kind: 'code_graph', metadata: { commit: 'a1b2c3d' } });
      expect(items.get(session.id)?.[0]).toMatchObject({ kind: 'session_summary' });
      expect(items.get(pattern.pattern.id)?.[0]?.content).toBe(
        'Retry with jitter: Back off with jitter when a dependency fails',
      );
      // Every call went through the batch tool, with the token.
      expect(new Set(fake.calls().map((c) => c.tool))).toEqual(new Set(['batch_store_memories']));
      expect(fake.calls().every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true);
      // sync_status: every stored memory counted once, cursors at the last item of each kind, no lag.
      expect(done).toMatchObject({ target: 'akosha', enabled: true, url: fake.url, pending: 0, lagSeconds: 0 });
      expect(done.itemsPushed).toBe(fake.stored().size);
      expect(done.kinds.map((k) => k.kind)).toEqual(['reflections', 'patterns', 'session_summaries', 'code_graphs']);
      expect(done.kinds.every((k) => k.cursor !== null && k.itemsPushed > 0)).toBe(true);
      const metrics = await (await app.http.request('/metrics', { headers: { host: '127.0.0.1:8678' } })).text();
      expect(metrics).toMatch(/session_buddy_sync_items_pushed_total\{target="akosha",kind="reflections"[^}]*\} 2\n/);
      expect(metrics).toMatch(/session_buddy_sync_lag_seconds\{target="akosha",kind="reflections"[^}]*\} 0\n/);

      // A changed reflection is a new version (a new id); nothing unchanged is sent again.
      const before = fake.calls().length;
      await op(app, 'update_reflection', { reflectionId: r1, content: 'Pin pyjwt 2.8 to fix the auth tests' });
      await op(app, 'sync_now');
      await waitFor('the changed reflection', () => (byItem(fake).get(r1)?.length ?? 0) === 2);
      await synced(app);
      const resent = fake
        .calls()
        .slice(before)
        .flatMap((c) => c.ids)
        .filter((id) => id.includes(':reflection:'));
      expect(resent).toHaveLength(1);
      expect(resent[0]).toMatch(new RegExp(`^session-buddy:ak-t1:reflection:${r1}:`));
    }, 60_000);

    it('Akosha down: the backlog grows, nothing is lost, it catches up when Akosha is back', async () => {
      const { app, fake } = await start();
      const first = [await reflection(app, 'before the outage one'), await reflection(app, 'before the outage two')];
      await op(app, 'sync_now');
      await synced(app);

      await fake.close();
      const during = [await reflection(app, 'during the outage one'), await reflection(app, 'during the outage two')];
      await op(app, 'sync_now');
      const failing = await waitFor('the sync to fail', async () => {
        const s = await status(app);
        return s.lastError !== null ? s : undefined;
      });
      expect(failing.pending).toBeGreaterThanOrEqual(2);
      expect(failing.lastErrorAt).not.toBeNull();
      during.push(await reflection(app, 'during the outage three'));
      const grown = await status(app);
      expect(grown.pending).toBeGreaterThan(failing.pending);
      expect(grown.kinds.find((k) => k.kind === 'reflections')?.pending).toBe(3);
      expect(grown.kinds.find((k) => k.kind === 'reflections')?.oldestPendingAt).not.toBeNull();

      // Down long enough for the `akosha` breaker to open: jobs are held back from then on, no attempt spent.
      await waitFor('the akosha breaker to open', () => app.jobs.breakers.states().akosha === 'open', CATCH_UP_MS);
      await fake.restart();
      // No new sync_now: the job the outage held back runs once the breaker lets a call through.
      await synced(app, CATCH_UP_MS);
      const items = byItem(fake);
      for (const id of [...first, ...during]) expect(items.get(id)).toHaveLength(1);
      // The outage spent no job: nothing went to the dead letters.
      expect(await app.store.deadLetters.count({})).toBe(0);
    }, 180_000);

    it('a batch whose answer was lost is sent again with the same ids: nothing stored twice (store_memory)', async () => {
      const { app, fake } = await start({ batch: false });
      const ids = [];
      for (let i = 1; i <= 5; i++) ids.push(await reflection(app, `fallback reflection ${i}`));
      // The third store_memory call stores its item, then the connection drops: the batch fails mid-way.
      fake.dropAnswer(2);
      await op(app, 'sync_now');
      await synced(app, CATCH_UP_MS);

      expect(new Set(fake.calls().map((c) => c.tool))).toEqual(new Set(['store_memory']));
      const items = byItem(fake);
      for (const id of ids) expect(items.get(id)).toHaveLength(1);
      expect(fake.stored().size).toBe(5);
      // The items before the drop were sent twice (the retry), under the same ids.
      const twice = [...fake.storeCounts().values()].filter((n) => n === 2);
      expect(twice.length).toBeGreaterThanOrEqual(3);
      expect((await status(app)).itemsPushed).toBe(5);
    }, 180_000);

    it('a batch Akosha refuses ends as one dead letter; retried by an operator, it goes through', async () => {
      const { app, fake } = await start();
      await reflection(app, 'fine one');
      await reflection(app, 'POISON in this one');
      fake.refuse('POISON');
      await op(app, 'sync_now');
      const letter = await waitFor(
        'the dead letter',
        async () => (await app.store.deadLetters.list({ status: 'open' }, 10))[0],
        CATCH_UP_MS,
      );
      expect(letter).toMatchObject({ queue: 'sync', jobName: 'akosha-sync' });
      expect(letter.error).toMatch(/akosha sync: batch of 2 reflections from the start failed: .*refused/);
      expect(await app.store.deadLetters.count({})).toBe(1);
      const s = await status(app);
      expect(s.lastError).toMatch(/refused/);
      expect(s.pending).toBe(2);
      expect(fake.stored().size).toBe(0);

      fake.refuse(null);
      await op(app, 'retry_dead_letters', { ids: [letter.id] });
      await synced(app, CATCH_UP_MS);
      expect(fake.stored().size).toBe(2);
    }, 180_000);

    it('repository: keyset reads in change order, forward-only cursors, outcomes, a summary changed by its LLM part', async () => {
      const env = await open({});
      opened.push(env);
      const { app } = env;
      const repo = app.store.sync;
      const ids = [await reflection(app, 'repo one'), await reflection(app, 'repo two', 'ak-t2')];
      ids.push(await reflection(app, 'repo three'));
      const all = await repo.changedSince('reflections', null, 10);
      expect(all.map((r) => r.id)).toEqual(ids);
      expect(all[0]).toMatchObject({ kind: 'reflections', tenantId: 'ak-t1', project: 'ak' });
      expect(all[0]?.fields).toMatchObject({ content: 'repo one', tags: ['akosha'], sessionId: null });
      const [first, second] = all;
      if (!first || !second) throw new Error('expected reflections');
      const pos = (r: typeof first) => ({ ts: r.updatedAt, id: r.id });
      expect((await repo.changedSince('reflections', pos(first), 1)).map((r) => r.id)).toEqual([ids[1]]);
      expect(await repo.backlog('reflections', null)).toEqual({ pending: 3, oldest: first.updatedAt });
      expect(await repo.backlog('reflections', pos(second))).toMatchObject({ pending: 1 });

      const now = '2026-01-01T00:00:00.000Z';
      expect(await repo.advance('t', 'reflections', pos(second), 2, now)).toBe(true);
      expect(await repo.advance('t', 'reflections', pos(first), 1, now)).toBe(false);
      const state = await repo.state('t');
      expect(state.cursors[0]).toEqual({ kind: 'reflections', position: pos(second), itemsPushed: 2, updatedAt: now });
      expect(state.cursors[1]).toEqual({ kind: 'patterns', position: null, itemsPushed: 0, updatedAt: null });

      await repo.recordOutcome('t', 'boom', '2026-01-01T00:00:01.000Z');
      expect(await repo.state('t')).toMatchObject({
        lastError: 'boom',
        lastErrorAt: '2026-01-01T00:00:01.000Z',
        lastSuccessAt: null,
      });
      await repo.recordOutcome('t', null, '2026-01-01T00:00:02.000Z');
      await repo.recordOutcome('t', 'again', '2026-01-01T00:00:03.000Z');
      expect(await repo.state('t')).toMatchObject({ lastError: 'again', lastSuccessAt: '2026-01-01T00:00:02.000Z' });

      const session = await op<{ id: string }>(app, 'create_session', { name: 'repo', project: 'ak' });
      await app.store.summaries.save({
        sessionId: session.id,
        tenantId: 'ak-t1',
        generator: 'extractive-1',
        summary: { goal: 'ship it' } as never,
        messageCount: 0,
        lastMessageSeq: null,
        lastMessageAt: null,
        sessionStatus: 'active',
        sessionUpdatedAt: '2026-01-01T00:00:02.000Z',
        generatedAt: '2026-01-01T00:00:03.000Z',
      });
      const [made] = await repo.changedSince('session_summaries', null, 10);
      expect(made).toMatchObject({ id: session.id, updatedAt: '2026-01-01T00:00:03.000Z', project: 'ak' });
      expect(made?.fields).toMatchObject({ summary: { goal: 'ship it' }, llmSummary: null, sessionName: 'repo' });
      const llm = { text: 'prose', model: 'm', messageCount: 0, generatedAt: '2026-01-01T00:00:04.000Z' };
      await app.store.summaries.saveLlm('ak-t1', session.id, llm);
      const after = await repo.changedSince(
        'session_summaries',
        { ts: '2026-01-01T00:00:03.000Z', id: session.id },
        10,
      );
      expect(after).toMatchObject([{ id: session.id, updatedAt: '2026-01-01T00:00:04.000Z' }]);
      expect(after[0]?.fields.llmSummary).toBe('prose');
    });

    it('sync_now refuses while the sync is off; sync_status answers', async () => {
      const env = await open({});
      opened.push(env);
      await expect(op(env.app, 'sync_now')).rejects.toMatchObject({ code: 'conflict' });
      await reflection(env.app, 'not pushed while off');
      expect(await status(env.app)).toMatchObject({
        enabled: false,
        url: 'http://localhost:8682/mcp',
        itemsPushed: 0,
        pending: 1,
        lastError: null,
      });
    });
  });
}
