import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import { uuidv7 } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import type {
  NewMessage,
  NewReflection,
  NewSession,
  OutboxRow,
  Store,
  WriteFollowUps,
} from '../../src/repositories/ports.js';
import { withSpan } from '../../src/tracing/spans.js';
import { startTracing } from '../../src/tracing/tracing-sdk.js';

/** A session to create (tenant t1, project alpha unless overridden), stamped by `tick`. */
function sessionInput(tick: () => string, over: Partial<NewSession> = {}): NewSession {
  return {
    id: uuidv7(),
    tenantId: 't1',
    project: 'alpha',
    name: 'a session',
    status: 'active',
    metadata: {},
    createdAt: tick(),
    ...over,
  };
}

/** A message to append (a user saying hello unless overridden), stamped by `tick`. */
function messageInput(tick: () => string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id: uuidv7(),
    role: 'user',
    content: 'hello',
    metadata: {},
    idempotencyKey: null,
    createdAt: tick(),
    ...over,
  };
}

/** The follow-ups the contract's stores are built with: one outbox row per stored message and per written reflection. */
const FOLLOW_UPS: WriteFollowUps = {
  messagesAppended: (created) =>
    created.map((m) => ({
      tenantId: m.tenantId,
      queue: 'embedding',
      name: 'embed-message',
      key: `k:${m.id}`,
      payload: { id: m.id },
    })),
  reflectionWritten: (r) => [
    {
      tenantId: r.tenantId,
      queue: 'embedding',
      name: 'embed-reflection',
      key: `er-${r.id}-${r.contentHash}`,
      payload: { reflectionId: r.id, contentHash: r.contentHash },
    },
  ],
};

/**
 * The storage contract: every adapter must pass exactly these tests. Instantiated by
 * tests/unit/storage.sqlite.test.ts and tests/integration/storage.postgres.test.ts, which build the store with
 * the follow-ups given to `open`.
 */
export function describeStorageContract(
  name: string,
  open: (followUps: WriteFollowUps) => Promise<{ store: Store; cleanup(): Promise<void> }>,
) {
  describe(`storage contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const tick = () => {
      clock += 1000;
      return new Date(clock).toISOString();
    };

    const newSession = (over: Partial<NewSession> = {}) => sessionInput(tick, over);
    const newMessage = (over: Partial<NewMessage> = {}) => messageInput(tick, over);

    beforeAll(async () => {
      ({ store, cleanup } = await open(FOLLOW_UPS));
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('migrations are idempotent', async () => {
      expect(await store.migrate()).toEqual([]);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('creates and reads a session, with metadata round-tripping exactly', async () => {
      const metadata = { nested: { a: [1, 2, { b: null }] }, text: 'héllo ✓ "quoted"', n: 1.5, flag: false };
      const created = await store.sessions.create(newSession({ metadata }));
      expect(created).toMatchObject({ tenantId: 't1', project: 'alpha', status: 'active', messageCount: 0, metadata });
      expect(created.updatedAt).toBe(created.createdAt);
      expect(await store.sessions.get('t1', created.id)).toEqual(created);
    });

    it('scopes every read and write by tenant', async () => {
      const s = await store.sessions.create(newSession());
      expect(await store.sessions.get('t2', s.id)).toBeUndefined();
      expect(await store.sessions.update('t2', s.id, () => ({ name: 'x', updatedAt: tick() }))).toBeUndefined();
      expect(await store.sessions.delete('t2', s.id)).toBe(false);
      await expect(store.messages.append('t2', s.id, [newMessage()], tick())).rejects.toBeInstanceOf(NotFoundError);
      await store.messages.append('t1', s.id, [newMessage()], tick());
      expect(await store.messages.list('t2', s.id, { order: 'asc', limit: 10 })).toEqual([]);
      const other = await store.sessions.list('t2', { sort: 'createdAt', order: 'asc', limit: 100 });
      expect(other.map((x) => x.id)).not.toContain(s.id);
    });

    it('updates under a lock with the change decided from the current row', async () => {
      const s = await store.sessions.create(newSession({ metadata: { keep: 1 } }));
      const at = tick();
      const updated = await store.sessions.update('t1', s.id, (current) => {
        expect(current).toEqual(s);
        return { name: 'renamed', status: 'ended', metadata: { keep: 1, added: true }, updatedAt: at };
      });
      expect(updated).toMatchObject({ name: 'renamed', status: 'ended', metadata: { keep: 1, added: true } });
      expect(updated?.updatedAt).toBe(at);
      expect(updated?.createdAt).toBe(s.createdAt);
      expect(await store.sessions.update('t1', uuidv7(), () => ({ updatedAt: tick() }))).toBeUndefined();
    });

    it('a change that throws leaves the row as it was', async () => {
      const s = await store.sessions.create(newSession());
      await expect(
        store.sessions.update('t1', s.id, () => {
          throw new ConflictError('no');
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await store.sessions.get('t1', s.id)).toEqual(s);
    });

    it('lists with filters, both orders and keyset pages that never repeat or skip', async () => {
      const tenant = `list-${uuidv7()}`;
      const made = [];
      for (let i = 0; i < 7; i++) {
        made.push(
          await store.sessions.create(
            newSession({ tenantId: tenant, project: i % 2 ? 'odd' : 'even', status: i === 3 ? 'ended' : 'active' }),
          ),
        );
      }
      const all = await store.sessions.list(tenant, { sort: 'createdAt', order: 'asc', limit: 100 });
      expect(all.map((s) => s.id)).toEqual(made.map((s) => s.id));
      const desc = await store.sessions.list(tenant, { sort: 'createdAt', order: 'desc', limit: 100 });
      expect(desc.map((s) => s.id)).toEqual(made.map((s) => s.id).reverse());

      const odd = await store.sessions.list(tenant, { project: 'odd', sort: 'createdAt', order: 'asc', limit: 100 });
      expect(odd.map((s) => s.id)).toEqual([made[1], made[3], made[5]].map((s) => s?.id));
      const ended = await store.sessions.list(tenant, { status: 'ended', sort: 'createdAt', order: 'asc', limit: 9 });
      expect(ended.map((s) => s.id)).toEqual([made[3]?.id]);
      const window = await store.sessions.list(tenant, {
        createdAfter: made[2]?.createdAt,
        createdBefore: made[5]?.createdAt,
        sort: 'createdAt',
        order: 'asc',
        limit: 100,
      });
      expect(window.map((s) => s.id)).toEqual([made[2], made[3], made[4]].map((s) => s?.id));

      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: { value: string; id: string } | undefined;
        for (;;) {
          const page = await store.sessions.list(tenant, { sort: 'createdAt', order, limit: 3, after });
          seen.push(...page.map((s) => s.id));
          const last = page[page.length - 1];
          if (page.length < 3 || !last) break;
          after = { value: last.createdAt, id: last.id };
        }
        const expected = made.map((s) => s.id);
        expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
      }
    });

    it('sorts by updatedAt, with equal timestamps broken by id', async () => {
      const tenant = `upd-${uuidv7()}`;
      const same = tick();
      const a = await store.sessions.create(newSession({ tenantId: tenant, createdAt: same }));
      const b = await store.sessions.create(newSession({ tenantId: tenant, createdAt: same }));
      await store.sessions.update(tenant, a.id, () => ({ name: 'touched', updatedAt: tick() }));
      const byUpdate = await store.sessions.list(tenant, { sort: 'updatedAt', order: 'desc', limit: 10 });
      expect(byUpdate.map((s) => s.id)).toEqual([a.id, b.id]);
      const byCreate = await store.sessions.list(tenant, { sort: 'createdAt', order: 'asc', limit: 1 });
      const next = await store.sessions.list(tenant, {
        sort: 'createdAt',
        order: 'asc',
        limit: 1,
        after: { value: same, id: byCreate[0]?.id as string },
      });
      expect([byCreate[0]?.id, next[0]?.id].sort()).toEqual([a.id, b.id].sort());
    });

    it('appends with gap-free seq numbers and keeps the session count and updatedAt', async () => {
      const s = await store.sessions.create(newSession());
      const first = await store.messages.append('t1', s.id, [newMessage({ content: 'one' })], tick());
      const at = tick();
      const more = await store.messages.append(
        't1',
        s.id,
        [newMessage({ content: 'two', role: 'assistant' }), newMessage({ content: 'three', role: 'tool' })],
        at,
      );
      expect(first.messages.map((m) => m.seq)).toEqual([1]);
      expect(more.messages.map((m) => m.seq)).toEqual([2, 3]);
      expect(more.created).toEqual([true, true]);
      const session = await store.sessions.get('t1', s.id);
      expect(session?.messageCount).toBe(3);
      expect(session?.updatedAt).toBe(at);
      const listed = await store.messages.list('t1', s.id, { order: 'asc', limit: 10 });
      expect(listed.map((m) => [m.seq, m.content, m.role])).toEqual([
        [1, 'one', 'user'],
        [2, 'two', 'assistant'],
        [3, 'three', 'tool'],
      ]);
      expect(listed[1]).toEqual(more.messages[0]);
    });

    it('never stores a message twice for one idempotency key, across calls and within a batch', async () => {
      const s = await store.sessions.create(newSession());
      const a = await store.messages.append('t1', s.id, [newMessage({ idempotencyKey: 'k1', content: 'A' })], tick());
      const replay = await store.messages.append(
        't1',
        s.id,
        [
          newMessage({ idempotencyKey: 'k1', content: 'A again' }),
          newMessage({ idempotencyKey: 'k2', content: 'B' }),
          newMessage({ idempotencyKey: 'k2', content: 'B again' }),
          newMessage({ content: 'C' }),
        ],
        tick(),
      );
      expect(replay.created).toEqual([true, false, false, true].map((_, i) => i === 1 || i === 3));
      expect(replay.messages[0]).toEqual(a.messages[0]);
      expect(replay.messages[2]).toEqual(replay.messages[1]);
      expect(replay.messages.map((m) => m.seq)).toEqual([1, 2, 2, 3]);
      expect((await store.sessions.get('t1', s.id))?.messageCount).toBe(3);
      // The same key in another session is a different message.
      const s2 = await store.sessions.create(newSession());
      const other = await store.messages.append('t1', s2.id, [newMessage({ idempotencyKey: 'k1' })], tick());
      expect(other.created).toEqual([true]);
    });

    it('concurrent appends to one session get distinct consecutive seq numbers', async () => {
      const s = await store.sessions.create(newSession());
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.messages.append('t1', s.id, [newMessage({ content: `m${i}` })], tick()),
        ),
      );
      const seqs = results.map((r) => r.messages[0]?.seq).sort((x, y) => (x as number) - (y as number));
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await store.sessions.get('t1', s.id))?.messageCount).toBe(40);
    });

    it('refuses appends to a missing or archived session and stores nothing', async () => {
      await expect(store.messages.append('t1', uuidv7(), [newMessage()], tick())).rejects.toBeInstanceOf(NotFoundError);
      const s = await store.sessions.create(newSession({ status: 'archived' }));
      await expect(store.messages.append('t1', s.id, [newMessage()], tick())).rejects.toBeInstanceOf(ConflictError);
      expect(await store.messages.list('t1', s.id, { order: 'asc', limit: 10 })).toEqual([]);
      expect((await store.sessions.get('t1', s.id))?.messageCount).toBe(0);
    });

    it('pages messages by seq in both directions', async () => {
      const s = await store.sessions.create(newSession());
      await store.messages.append(
        't1',
        s.id,
        Array.from({ length: 5 }, (_, i) => newMessage({ content: `m${i + 1}` })),
        tick(),
      );
      const asc = await store.messages.list('t1', s.id, { order: 'asc', limit: 2, afterSeq: 2 });
      expect(asc.map((m) => m.seq)).toEqual([3, 4]);
      const desc = await store.messages.list('t1', s.id, { order: 'desc', limit: 2, afterSeq: 4 });
      expect(desc.map((m) => m.seq)).toEqual([3, 2]);
      const latest = await store.messages.list('t1', s.id, { order: 'desc', limit: 1 });
      expect(latest.map((m) => m.seq)).toEqual([5]);
    });

    it('deleting a session removes its messages', async () => {
      const s = await store.sessions.create(newSession());
      await store.messages.append('t1', s.id, [newMessage(), newMessage()], tick());
      expect(await store.sessions.delete('t1', s.id)).toBe(true);
      expect(await store.sessions.get('t1', s.id)).toBeUndefined();
      expect(await store.messages.list('t1', s.id, { order: 'asc', limit: 10 })).toEqual([]);
      expect(await store.sessions.delete('t1', s.id)).toBe(false);
    });

    it('writes follow-up jobs to the outbox in the same transaction as the messages', async () => {
      const s = await store.sessions.create(newSession());
      const before = (await store.outbox.backlog()).pending;
      const first = await store.messages.append('t1', s.id, [newMessage({ idempotencyKey: 'once' })], tick());
      // A replay stores nothing new, so it queues nothing new.
      await store.messages.append('t1', s.id, [newMessage({ idempotencyKey: 'once' })], tick());
      expect((await store.outbox.backlog()).pending).toBe(before + 1);
      // A failed append (archived session) queues nothing either.
      const archived = await store.sessions.create(newSession({ status: 'archived' }));
      await expect(store.messages.append('t1', archived.id, [newMessage()], tick())).rejects.toThrow();
      expect((await store.outbox.backlog()).pending).toBe(before + 1);

      const published: string[] = [];
      let drained = 0;
      for (;;) {
        const n = await store.outbox.drain(100, async (rows) => {
          published.push(...rows.map((r) => r.key));
        });
        if (n === 0) break;
        drained += n;
      }
      expect(drained).toBe(before + 1);
      expect(published).toContain(`k:${first.messages[0]?.id}`);
      expect(await store.outbox.backlog()).toEqual({ pending: 0, oldestAgeSeconds: 0 });
    });

    it('keeps outbox rows when publishing fails, and never hands one row to two relays', async () => {
      await store.outbox.add(
        Array.from({ length: 10 }, (_, i) => ({
          tenantId: 't1',
          queue: 'sync',
          name: 'n',
          key: `r${i}`,
          payload: { i },
        })),
      );
      await expect(
        store.outbox.drain(5, async () => {
          throw new Error('redis down');
        }),
      ).rejects.toThrow('redis down');
      const backlog = await store.outbox.backlog();
      expect(backlog.pending).toBe(10);
      expect(backlog.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
      const seen: string[] = [];
      const publish = async (rows: Array<{ key: string; payload: Record<string, unknown> }>) => {
        await new Promise((r) => setTimeout(r, 20));
        seen.push(...rows.map((r) => r.key));
      };
      await Promise.all([
        store.outbox.drain(4, publish),
        store.outbox.drain(4, publish),
        store.outbox.drain(4, publish),
      ]);
      while ((await store.outbox.drain(4, publish)) > 0);
      expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
    });

    it('stores the trace of the write with its outbox rows, and none without one', async () => {
      const spans = new InMemorySpanExporter();
      const tracing = startTracing(
        { enabled: true, serviceName: 'storage-contract', sampleRatio: 1 },
        { role: 'test', logger: createLogger('silent'), processors: [new SimpleSpanProcessor(spans)] },
      );
      try {
        const s = await store.sessions.create(newSession());
        const written: string[] = [];
        const traceId = await withSpan('request', {}, async (span) => {
          // The one-statement append, the planned one (idempotency key) and a plain add.
          const plain = await store.messages.append('t1', s.id, [newMessage()], tick());
          const keyed = await store.messages.append('t1', s.id, [newMessage({ idempotencyKey: 'traced' })], tick());
          written.push(...[...plain.messages, ...keyed.messages].map((m) => `k:${m.id}`));
          await store.outbox.add([{ tenantId: 't1', queue: 'sync', name: 'n', key: 'traced-add', payload: {} }]);
          written.push('traced-add');
          return span.spanContext().traceId;
        });
        // Outside any span, the write starts a trace of its own.
        await store.outbox.add([{ tenantId: 't1', queue: 'sync', name: 'n', key: 'root-add', payload: {} }]);
        await tracing.shutdown();
        // Tracing off: nothing to carry.
        await store.outbox.add([{ tenantId: 't1', queue: 'sync', name: 'n', key: 'untraced-add', payload: {} }]);
        const rows: OutboxRow[] = [];
        while ((await store.outbox.drain(100, async (batch) => void rows.push(...batch))) > 0);
        const root = rows.find((r) => r.key === 'root-add')?.traceContext;
        expect(root).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        expect(root?.split('-')[1]).not.toBe(traceId);
        const traced = rows.filter((r) => written.includes(r.key));
        expect(traced).toHaveLength(3);
        const outboxSpans = spans.getFinishedSpans().filter((span) => span.name === 'outbox write');
        const request = spans.getFinishedSpans().find((span) => span.name === 'request');
        for (const row of traced) {
          const [, trace, spanId] = (row.traceContext ?? '').split('-');
          expect(trace).toBe(traceId);
          // The row names its own 'outbox write' span, a child of the request's.
          const written = outboxSpans.find((span) => span.spanContext().spanId === spanId);
          expect(written?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
        }
        expect(rows.find((r) => r.key === 'untraced-add')?.traceContext).toBeNull();
      } finally {
        await tracing.shutdown();
      }
    });

    it("keeps a dead letter's attempt history and names its first distinct cause", async () => {
      const at = (n: number) => new Date(Date.parse('2026-03-02T00:00:00Z') + n * 1_000).toISOString();
      const history = [
        { attempt: 1, at: at(1), error: 'ProviderError', code: '500', message: 'HTTP 500 from provider' },
        { attempt: 2, at: at(2), error: 'TimeoutError', message: 'provider timeout after 30000 ms' },
        { attempt: 3, at: at(3), error: 'TimeoutError', message: 'provider timeout after 30000 ms' },
      ];
      const letter = await store.deadLetters.record({
        id: uuidv7(),
        tenantId: 'dl-history',
        queue: 'embedding',
        jobName: 'embed-messages',
        jobKey: 'dl-history:1',
        payload: { messageIds: ['m1'] },
        error: 'provider timeout after 30000 ms',
        stack: 'TimeoutError: provider timeout\n  at x',
        attempts: 3,
        attemptHistory: history,
        failedAt: at(3),
      });
      expect(letter.attemptHistory).toEqual(history);
      expect(letter.firstCause).toBe('ProviderError [500]: HTTP 500 from provider');
      expect(await store.deadLetters.get(letter.id)).toEqual(letter);
      const [listed] = await store.deadLetters.list({ tenantId: 'dl-history' }, 5);
      expect(listed?.firstCause).toBe('ProviderError [500]: HTTP 500 from provider');
      // Reopened by a later failure: the new history replaces the old; all alike → no distinct cause.
      const again = await store.deadLetters.record({
        ...letter,
        id: uuidv7(),
        attemptHistory: [{ attempt: 1, at: at(9), error: 'Error', message: 'still failing' }],
        error: 'still failing',
        failedAt: at(9),
      });
      expect(again).toMatchObject({ id: letter.id, firstCause: null, attemptHistory: [{ message: 'still failing' }] });
      // Recorded without a history (older writers): an empty one.
      const bare = await store.deadLetters.record({
        ...letter,
        id: uuidv7(),
        jobKey: 'dl-history:2',
        attemptHistory: undefined,
      });
      expect(bare).toMatchObject({ attemptHistory: [], firstCause: null });
    });

    it('records dead letters durably, reopens them by job key, filters and pages them', async () => {
      const failedAt = (n: number) => new Date(Date.parse('2026-03-01T00:00:00Z') + n * 60_000).toISOString();
      const base = {
        tenantId: 'dl-tenant',
        queue: 'embedding',
        jobName: 'embed-message',
        stack: 'Error\n  at x',
        attempts: 5,
      };
      const letters = [];
      for (let i = 0; i < 5; i++) {
        letters.push(
          await store.deadLetters.record({
            ...base,
            id: uuidv7(),
            jobKey: `dl:${i}`,
            payload: { messageId: `m${i}` },
            error: i % 2 ? 'provider timeout after 30000 ms' : 'HTTP 500 from provider',
            failedAt: failedAt(i),
            queue: i === 4 ? 'sync' : 'embedding',
          }),
        );
      }
      expect(letters[0]).toMatchObject({ status: 'open', retryCount: 0, attempts: 5, payload: { messageId: 'm0' } });
      expect(await store.deadLetters.get(letters[0]?.id as string, 'other-tenant')).toBeUndefined();
      expect(await store.deadLetters.get(letters[0]?.id as string)).toEqual(letters[0]);

      const page1 = await store.deadLetters.list({ tenantId: 'dl-tenant' }, 2);
      expect(page1.map((d) => d.jobKey)).toEqual(['dl:4', 'dl:3']);
      const last = page1[1] as { failedAt: string; id: string };
      const page2 = await store.deadLetters.list({ tenantId: 'dl-tenant' }, 2, {
        failedAt: last.failedAt,
        id: last.id,
      });
      expect(page2.map((d) => d.jobKey)).toEqual(['dl:2', 'dl:1']);
      expect(await store.deadLetters.count({ tenantId: 'dl-tenant', errorContains: 'TIMEOUT' })).toBe(2);
      expect(await store.deadLetters.count({ tenantId: 'dl-tenant', queue: 'sync' })).toBe(1);
      expect(await store.deadLetters.count({ tenantId: 'dl-tenant', failedBefore: failedAt(2) })).toBe(2);
      expect(
        await store.deadLetters.count({ tenantId: 'dl-tenant', failedAfter: failedAt(2), jobName: 'embed-message' }),
      ).toBe(3);

      const retried = await store.deadLetters.setStatus(
        [letters[0]?.id as string, letters[1]?.id as string],
        'retried',
        tick(),
      );
      expect(retried.map((d) => [d.status, d.retryCount])).toEqual([
        ['retried', 1],
        ['retried', 1],
      ]);
      // Only open letters change: a second retry of the same ids is a no-op.
      expect(await store.deadLetters.setStatus([letters[0]?.id as string], 'retried', tick())).toEqual([]);
      // The retried job fails again: the same dead letter reopens, keeping its id and first failure time.
      const again = await store.deadLetters.record({
        ...base,
        id: uuidv7(),
        jobKey: 'dl:0',
        payload: { messageId: 'm0' },
        error: 'still failing',
        failedAt: failedAt(10),
      });
      expect(again).toMatchObject({ id: letters[0]?.id, status: 'open', retryCount: 1, error: 'still failing' });
      expect(again.firstFailedAt).toBe(letters[0]?.firstFailedAt);
      const discarded = await store.deadLetters.setStatus(
        [letters[2]?.id as string],
        'discarded',
        tick(),
        'other-tenant',
      );
      expect(discarded).toEqual([]);
      const open = await store.deadLetters.openByQueue();
      expect(open.embedding).toBeGreaterThanOrEqual(3);
      expect(open.sync).toBeGreaterThanOrEqual(1);
    });

    it('stores one vector per message and model, with its dimension, and skips deleted messages', async () => {
      const s = await store.sessions.create(newSession());
      const { messages } = await store.messages.append('t1', s.id, [newMessage(), newMessage()], tick());
      const [a, b] = messages.map((m) => m.id) as [string, string];
      const vec = (seed: number, dim = 8) => Float32Array.from({ length: dim }, (_, i) => Math.sin(seed + i));
      const saved = await store.embeddings.saveForMessages([
        { ownerId: a, tenantId: 't1', model: 'hash-8', vector: vec(1), createdAt: tick() },
        { ownerId: a, tenantId: 't1', model: 'other-4', vector: vec(2, 4), createdAt: tick() },
        { ownerId: uuidv7(), tenantId: 't1', model: 'hash-8', vector: vec(3), createdAt: tick() },
      ]);
      expect(saved).toBe(2);
      expect(
        await store.embeddings.saveForMessages([
          { ownerId: a, tenantId: 't1', model: 'hash-8', vector: vec(9), createdAt: tick() },
        ]),
      ).toBe(0);
      const stored = await store.embeddings.getForMessage(a, 'hash-8');
      expect(stored?.vector.length).toBe(8);
      for (const [i, x] of (stored?.vector ?? []).entries()) expect(x).toBeCloseTo(vec(1)[i] as number, 5);
      const toEmbed = await store.embeddings.messagesToEmbed('t1', [a, b, uuidv7()], 'hash-8');
      expect(toEmbed.sort((x, y) => x.id.localeCompare(y.id))).toEqual(
        [
          { id: a, content: expect.any(String), hasVector: true },
          { id: b, content: expect.any(String), hasVector: false },
        ].sort((x, y) => x.id.localeCompare(y.id)),
      );
      // Another tenant's messages are not there.
      expect(await store.embeddings.messagesToEmbed('t2', [a, b], 'hash-8')).toEqual([]);
      expect(await store.embeddings.countForMessages('t1')).toMatchObject({ 'hash-8': 1, 'other-4': 1 });
      expect(await store.messages.get('t1', a)).toMatchObject({ id: a });
      expect(await store.messages.get('t2', a)).toBeUndefined();
      const many = await store.messages.getMany('t1', [a, b, uuidv7()]);
      expect(many.map((m) => m.id).sort()).toEqual([a, b].sort());
      expect(await store.messages.getMany('t2', [a, b])).toEqual([]);
      expect((await store.sessions.getMany('t1', [s.id, uuidv7()])).map((x) => x.id)).toEqual([s.id]);
      expect(await store.sessions.getMany('t2', [s.id])).toEqual([]);
      expect(await store.sessions.getMany('t1', [])).toEqual([]);
      await store.sessions.delete('t1', s.id);
      expect(await store.embeddings.getForMessage(a, 'hash-8')).toBeUndefined();
    });

    describeReflectionStorage(() => store, tick);
  });
}

/** Reflections and the search primitives (text and vector) both adapters must honour. */
function describeReflectionStorage(getStore: () => Store, tick: () => string): void {
  const newReflection = (tenantId: string, over: Partial<NewReflection> = {}): NewReflection => {
    const content = over.content ?? `insight ${uuidv7()}`;
    return {
      id: uuidv7(),
      tenantId,
      project: 'alpha',
      sessionId: null,
      contentHash: contentHash(content),
      tags: [],
      importance: 0.5,
      metadata: {},
      createdAt: tick(),
      ...over,
      content,
    };
  };
  const unit = (...xs: number[]): Float32Array => {
    const n = Math.hypot(...xs);
    return Float32Array.from(xs.map((x) => x / n));
  };

  it('reflections: stores, returns the existing row for an exact duplicate, scopes by tenant', async () => {
    const store = getStore();
    const t = `r-${uuidv7()}`;
    const before = (await store.outbox.backlog()).pending;
    const first = await store.reflections.create(
      newReflection(t, { content: 'Use  Keyset pagination', tags: ['db', 'api'], metadata: { a: [1] } }),
    );
    expect(first.created).toBe(true);
    expect(first.reflection).toMatchObject({ tenantId: t, tags: ['db', 'api'], importance: 0.5, metadata: { a: [1] } });
    const again = await store.reflections.create(newReflection(t, { content: ' use keyset   PAGINATION ' }));
    expect(again).toEqual({ reflection: first.reflection, created: false });
    expect((await store.outbox.backlog()).pending).toBe(before + 1);
    // Same text in another project or tenant is another reflection.
    expect(
      (await store.reflections.create(newReflection(t, { content: 'use keyset pagination', project: 'b' }))).created,
    ).toBe(true);
    expect(await store.reflections.get(t, first.reflection.id)).toEqual(first.reflection);
    expect(await store.reflections.get('other', first.reflection.id)).toBeUndefined();
    expect((await store.reflections.getMany(t, [first.reflection.id, uuidv7()])).map((r) => r.id)).toEqual([
      first.reflection.id,
    ]);
    expect(await store.reflections.delete('other', first.reflection.id)).toBe(false);
    while ((await store.outbox.drain(100, async () => {})) > 0);
  });

  it('reflections: update recomputes the hash, refuses duplicates, drops stale vectors', async () => {
    const store = getStore();
    const t = `r-${uuidv7()}`;
    const a = (await store.reflections.create(newReflection(t, { content: 'alpha text' }))).reflection;
    const b = (await store.reflections.create(newReflection(t, { content: 'beta text' }))).reflection;
    await store.reflections.saveVectors([
      { ownerId: b.id, tenantId: t, model: 'm-2', vector: unit(1, 0), contentHash: b.contentHash, createdAt: tick() },
    ]);
    // The stored vector, read back for its tenant and model only.
    expect(await store.reflections.getVector(t, b.id, 'm-2')).toEqual(unit(1, 0));
    expect(await store.reflections.getVector('other', b.id, 'm-2')).toBeUndefined();
    expect(await store.reflections.getVector(t, b.id, 'm-3')).toBeUndefined();
    expect(await store.reflections.getVector(t, a.id, 'm-2')).toBeUndefined();
    await expect(
      store.reflections.update(t, b.id, () => ({
        content: { text: 'ALPHA  text', hash: contentHash('ALPHA  text') },
        updatedAt: tick(),
      })),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.reflections.get(t, b.id)).toEqual(b);
    const at = tick();
    while ((await store.outbox.drain(100, async () => {})) > 0);
    const updated = await store.reflections.update(t, b.id, () => ({
      content: { text: 'gamma text', hash: contentHash('gamma text') },
      tags: ['x'],
      importance: 0.9,
      updatedAt: at,
    }));
    // The follow-ups of a re-worded reflection are computed from the updated row, in the same transaction.
    const queued: unknown[] = [];
    while ((await store.outbox.drain(100, async (rows) => void queued.push(...rows.map((r) => r.payload)))) > 0);
    expect(updated).toMatchObject({
      content: 'gamma text',
      contentHash: contentHash('gamma text'),
      tags: ['x'],
      updatedAt: at,
    });
    expect(updated?.importance).toBeCloseTo(0.9, 5);
    expect(queued).toEqual([{ reflectionId: b.id, contentHash: contentHash('gamma text') }]);
    expect([...(await store.reflections.withVector([b.id], 'm-2'))]).toEqual([]);
    expect(await store.reflections.getVector(t, b.id, 'm-2')).toBeUndefined();
    // A vector of the old text, saved after the re-wording (a job that read it before), is not kept; one of the
    // current text is.
    const late = { ownerId: b.id, tenantId: t, model: 'm-2', vector: unit(0, 1), createdAt: tick() };
    expect(await store.reflections.saveVectors([{ ...late, contentHash: b.contentHash }])).toBe(0);
    expect(await store.reflections.getVector(t, b.id, 'm-2')).toBeUndefined();
    expect(await store.reflections.saveVectors([{ ...late, contentHash: contentHash('gamma text') }])).toBe(1);
    expect(await store.reflections.getVector(t, b.id, 'm-2')).toEqual(unit(0, 1));
    // Changing only tags keeps the vector.
    await store.reflections.saveVectors([
      { ownerId: a.id, tenantId: t, model: 'm-2', vector: unit(1, 0), contentHash: a.contentHash, createdAt: tick() },
    ]);
    await store.reflections.update(t, a.id, () => ({ tags: ['y'], updatedAt: tick() }));
    expect([...(await store.reflections.withVector([a.id], 'm-2'))]).toEqual([a.id]);
    expect(await store.reflections.update(t, uuidv7(), () => ({ updatedAt: tick() }))).toBeUndefined();
    expect(await store.reflections.delete(t, a.id)).toBe(true);
    expect(await store.reflections.withVector([a.id], 'm-2')).toEqual(new Set());
  });

  it('reflections: a deleted session leaves its reflections with no session', async () => {
    const store = getStore();
    const t = `r-${uuidv7()}`;
    const s = await store.sessions.create(sessionInput(tick, { tenantId: t, name: 's' }));
    const r = (await store.reflections.create(newReflection(t, { sessionId: s.id }))).reflection;
    expect(r.sessionId).toBe(s.id);
    await store.sessions.delete(t, s.id);
    expect((await store.reflections.get(t, r.id))?.sessionId).toBeNull();
  });

  it('reflections: lists with filters and keyset pages', async () => {
    const store = getStore();
    const t = `r-${uuidv7()}`;
    const made = [];
    for (let i = 0; i < 7; i++) {
      made.push(
        (
          await store.reflections.create(
            newReflection(t, { project: i % 2 ? 'odd' : 'even', tags: i % 3 === 0 ? ['a', 'b'] : ['a'] }),
          )
        ).reflection,
      );
    }
    const ids = (rs: Array<{ id: string }>) => rs.map((r) => r.id);
    expect(ids(await store.reflections.list(t, { order: 'asc', limit: 100 }))).toEqual(ids(made));
    expect(ids(await store.reflections.list(t, { order: 'asc', limit: 100, project: 'odd' }))).toEqual(
      ids([made[1], made[3], made[5]] as typeof made),
    );
    expect(ids(await store.reflections.list(t, { order: 'asc', limit: 100, tagsAll: ['a', 'b'] }))).toEqual(
      ids([made[0], made[3], made[6]] as typeof made),
    );
    expect((await store.reflections.list(t, { order: 'asc', limit: 100, tagsAny: ['b', 'zz'] })).length).toBe(3);
    expect((await store.reflections.list(t, { order: 'asc', limit: 100, tagsAny: ['zz'] })).length).toBe(0);
    const window = await store.reflections.list(t, {
      order: 'asc',
      limit: 100,
      from: made[2]?.createdAt,
      to: made[5]?.createdAt,
    });
    expect(ids(window)).toEqual(ids(made.slice(2, 5)));
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.reflections.list(t, { order, limit: 3, after });
        seen.push(...ids(page));
        const last = page[page.length - 1];
        if (page.length < 3 || !last) break;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual(order === 'asc' ? ids(made) : ids(made).reverse());
    }
  });

  it('reflections: stats count by tag, project, day, week and model', async () => {
    const store = getStore();
    const t = `r-${uuidv7()}`;
    const at = (iso: string) => new Date(iso).toISOString();
    const a = (
      await store.reflections.create(newReflection(t, { tags: ['x', 'y'], createdAt: at('2026-02-02T10:00:00Z') }))
    ).reflection;
    await store.reflections.create(newReflection(t, { tags: ['x'], createdAt: at('2026-02-08T23:00:00Z') }));
    await store.reflections.create(newReflection(t, { project: 'beta', createdAt: at('2026-02-09T01:00:00Z') }));
    await store.reflections.saveVectors([
      { ownerId: a.id, tenantId: t, model: 'm-2', vector: unit(1, 1), contentHash: a.contentHash, createdAt: tick() },
    ]);
    const stats = await store.reflections.stats(t);
    expect(stats).toEqual({
      total: 3,
      byTag: { x: 2, y: 1 },
      byProject: { alpha: 2, beta: 1 },
      byDay: [
        { period: '2026-02-09', count: 1 },
        { period: '2026-02-08', count: 1 },
        { period: '2026-02-02', count: 1 },
      ],
      byWeek: [
        { period: '2026-02-09', count: 1 },
        { period: '2026-02-02', count: 2 },
      ],
      embeddings: { 'm-2': 1 },
    });
    expect((await store.reflections.stats(t, 'beta')).total).toBe(1);
  });

  it('search: stemmed full text over reflections and messages, filtered before the limit', async () => {
    const store = getStore();
    const t = `s-${uuidv7()}`;
    const hit = (
      await store.reflections.create(
        newReflection(t, { content: 'The migrations failed because the column existed', tags: ['db'] }),
      )
    ).reflection;
    await store.reflections.create(newReflection(t, { content: 'Cats sleep on warm windowsills' }));
    for (let i = 0; i < 5; i++) {
      await store.reflections.create(
        newReflection(t, { content: `Migration ${i} failing in project other`, project: 'other' }),
      );
    }
    const found = await store.reflections.textSearch('reflection', t, 'migration fails', {}, 10);
    expect(found.length).toBe(6);
    expect(found.every((h, i) => i === 0 || (found[i - 1] as { rank: number }).rank >= h.rank)).toBe(true);
    // The project filter applies before the limit: a limit of 1 still finds the alpha reflection.
    expect(
      await store.reflections.textSearch('reflection', t, 'migration fails', { project: 'alpha' }, 1),
    ).toMatchObject([{ id: hit.id }]);
    expect(await store.reflections.textSearch('reflection', t, 'migration', { tagsAny: ['db'] }, 1)).toMatchObject([
      { id: hit.id },
    ]);
    expect(await store.reflections.textSearch('reflection', 'other', 'migration', {}, 10)).toEqual([]);
    // User text is never query syntax.
    expect(await store.reflections.textSearch('reflection', t, 'NEAR( "AND * :col -x OR', {}, 10)).toEqual([]);
    expect(await store.reflections.textSearch('reflection', t, '   ', {}, 10)).toEqual([]);

    const s = await store.sessions.create(sessionInput(tick, { tenantId: t, name: 's' }));
    const { messages } = await store.messages.append(
      t,
      s.id,
      [
        messageInput(tick, { role: 'user', content: 'Why are the tests flaky on CI?' }),
        messageInput(tick, { role: 'assistant', content: 'A timing race in the queue test' }),
      ],
      tick(),
    );
    const flaky = await store.reflections.textSearch('message', t, 'flakiness of the tests', {}, 10);
    // OR semantics: both mention tests, the one that also says "flaky" ranks first.
    expect(flaky.map((h) => h.id)).toEqual([messages[0]?.id, messages[1]?.id]);
    expect(await store.reflections.textSearch('message', t, 'test', { project: 'nope' }, 10)).toEqual([]);
    expect((await store.reflections.textSearch('message', t, 'test', { sessionId: s.id }, 10)).length).toBe(2);
  });

  it('search: k-NN by cosine over vectors of one model, filtered in the query', async () => {
    const store = getStore();
    const t = `v-${uuidv7()}`;
    const rs = [];
    for (let i = 0; i < 6; i++) {
      rs.push(
        (await store.reflections.create(newReflection(t, { project: i < 5 ? 'other' : 'alpha', tags: [`t${i % 2}`] })))
          .reflection,
      );
    }
    await store.reflections.saveVectors(
      rs.map((r, i) => ({
        ownerId: r.id,
        tenantId: t,
        model: 'm-3',
        vector: unit(1, i, 0),
        contentHash: r.contentHash,
        createdAt: tick(),
      })),
    );
    await store.reflections.saveVectors([
      {
        ownerId: rs[0]?.id as string,
        tenantId: t,
        model: 'm-2',
        vector: unit(0, 1),
        contentHash: rs[0]?.contentHash as string,
        createdAt: tick(),
      },
    ]);
    await store.reflections.ensureVectorIndex('m-3', 3);
    await store.reflections.ensureVectorIndex('m-3', 3);
    const near = await store.reflections.vectorSearch('reflection', t, unit(1, 0, 0), 'm-3', {}, 3);
    expect(near.map((h) => h.id)).toEqual(rs.slice(0, 3).map((r) => r.id));
    expect(near[0]?.similarity).toBeCloseTo(1, 5);
    expect(near[1]?.similarity).toBeCloseTo(Math.SQRT1_2, 4);
    // Filters apply before k: the only alpha reflection is the farthest, and is still found with k = 1.
    expect(
      await store.reflections.vectorSearch('reflection', t, unit(1, 0, 0), 'm-3', { project: 'alpha' }, 1),
    ).toMatchObject([{ id: rs[5]?.id }]);
    expect(
      (await store.reflections.vectorSearch('reflection', t, unit(1, 0, 0), 'm-3', { tagsAll: ['t1'] }, 10)).map(
        (h) => h.id,
      ),
    ).toEqual([rs[1], rs[3], rs[5]].map((r) => r?.id));
    expect(await store.reflections.vectorSearch('reflection', t, unit(1, 0), 'm-2', {}, 5)).toMatchObject([
      { id: rs[0]?.id },
    ]);
    expect(await store.reflections.vectorSearch('reflection', 'other', unit(1, 0, 0), 'm-3', {}, 5)).toEqual([]);

    const s = await store.sessions.create(sessionInput(tick, { tenantId: t, name: 's' }));
    const { messages } = await store.messages.append(
      t,
      s.id,
      [messageInput(tick, { role: 'user', content: 'a' }), messageInput(tick, { role: 'user', content: 'b' })],
      tick(),
    );
    await store.embeddings.saveForMessages(
      messages.map((m, i) => ({ ownerId: m.id, tenantId: t, model: 'm-3', vector: unit(i, 1, 0), createdAt: tick() })),
    );
    expect((await store.embeddings.vectorSearch(t, unit(1, 1, 0), 'm-3', {}, 5)).map((h) => h.id)).toEqual([
      messages[1]?.id,
      messages[0]?.id,
    ]);
    expect(await store.embeddings.vectorSearch(t, unit(1, 1, 0), 'm-3', { project: 'zz' }, 5)).toEqual([]);
  });
}
