import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsStore } from '../../src/analytics/analytics.store.js';
import { isErrorMessage, messageDaysSelect } from '../../src/analytics/analytics-rollup.js';
import { FACT_TABLES, type FactTable } from '../../src/analytics/analytics-schema.js';
import { AnalyticsSync, type AnalyticsSyncOptions } from '../../src/analytics/analytics-sync.js';
import { uuidv7 } from '../../src/core/ids.js';
import type { PatternEvidence } from '../../src/domain/pattern.model.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import type { NewMessage, Store } from '../../src/repositories/ports.js';

type Row = Record<string, unknown>;

/** All rows of one DuckDB query as plain JSON-able objects (timestamps as ISO strings). */
async function rows(connection: DuckDBConnection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql, params as never);
  return reader.getRowObjectsJS() as Row[];
}

async function count(connection: DuckDBConnection, fact: FactTable, where = 'true'): Promise<number> {
  const [row] = await rows(connection, `SELECT count(*)::INTEGER AS n FROM facts.${fact} WHERE ${where}`);
  return row?.n as number;
}

/**
 * The analytics sync contract: the same writes to either primary store end up as the same fact rows in a real
 * DuckDB. Instantiated by tests/unit/analytics-sync.sqlite.test.ts and tests/integration/analytics-sync.postgres.test.ts.
 */
export function describeAnalyticsSyncContract(
  name: string,
  open: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
) {
  describe(`analytics sync contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let analytics: AnalyticsStore;
    let db: DuckDBConnection;
    let clock = Date.parse('2026-03-01T08:00:00.000Z');
    const tick = () => {
      clock += 1000;
      return new Date(clock).toISOString();
    };
    const OPTIONS: AnalyticsSyncOptions = { batchSize: 7, overlapMs: 5_000, reconcileBatchSize: 1_000 };
    const syncer = (options: Partial<AnalyticsSyncOptions> = {}, target = analytics) =>
      new AnalyticsSync(target, store.analyticsSource, { ...OPTIONS, ...options });

    // What was written, to compare with.
    const sessions: string[] = [];
    const messagesBySession = new Map<string, string[]>();
    const reflections: string[] = [];
    const patterns: string[] = [];
    const deadLetters: string[] = [];
    /** When each message was written (the `now` of its append): its received_at, the messages' sync key. */
    const receivedAt = new Map<string, string>();
    /** Messages in sync order, (received_at, id), with that time. */
    const messagesInSyncOrder = () =>
      allMessages()
        .map((id) => ({ id, at: receivedAt.get(id) as string }))
        .sort((x, y) => (x.at === y.at ? (x.id < y.id ? -1 : 1) : x.at < y.at ? -1 : 1));
    const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);

    const newSession = async (tenantId: string, project: string) => {
      const s = await store.sessions.create({
        id: uuidv7(),
        tenantId,
        project,
        name: `session ${sessions.length}`,
        status: 'active',
        metadata: { n: sessions.length, nested: { ok: true } },
        createdAt: tick(),
      });
      sessions.push(s.id);
      messagesBySession.set(s.id, []);
      return s;
    };
    const addMessages = async (tenantId: string, sessionId: string, n: number) => {
      const input: NewMessage[] = Array.from({ length: n }, (_, i) => ({
        id: uuidv7(),
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: `message ${i} héllo ✓`,
        metadata: {},
        idempotencyKey: null,
        createdAt: tick(),
      }));
      const now = tick();
      await store.messages.append(tenantId, sessionId, input, now);
      messagesBySession.get(sessionId)?.push(...input.map((m) => m.id));
      for (const m of input) receivedAt.set(m.id, now);
      return input;
    };
    const addReflection = async (tenantId: string, sessionId: string | null, content: string) => {
      const id = uuidv7();
      await store.reflections.create({
        id,
        tenantId,
        project: 'alpha',
        sessionId,
        content,
        contentHash: contentHash(content),
        tags: ['db', 'lesson'],
        importance: 0.75,
        metadata: {},
        createdAt: tick(),
      });
      reflections.push(id);
      return id;
    };
    const addPattern = async (tenantId: string, name: string) => {
      const id = uuidv7();
      await store.patterns.create({
        id,
        tenantId,
        project: 'alpha',
        name,
        description: `${name} described`,
        kind: 'best-practice',
        examples: [],
        tags: ['resilience'],
        metadata: {},
        createdAt: tick(),
      });
      patterns.push(id);
      return id;
    };
    const addDeadLetter = async (tenantId: string) => {
      const id = uuidv7();
      await store.deadLetters.record({
        id,
        tenantId,
        queue: 'embedding',
        jobName: 'embed-reflection',
        jobKey: `k-${id}`,
        payload: {},
        error: 'provider down',
        stack: null,
        attempts: 5,
        failedAt: tick(),
      });
      deadLetters.push(id);
      return id;
    };
    const allMessages = () => [...messagesBySession.values()].flat();

    /** DuckDB holds exactly what was written: the same ids per table, no duplicates. */
    const expectExact = async (connection = db) => {
      const expected: Record<FactTable, string[]> = {
        sessions,
        messages: allMessages(),
        reflections,
        patterns,
        dead_letters: deadLetters,
      };
      for (const fact of FACT_TABLES) {
        const ids = (await rows(connection, `SELECT id FROM facts.${fact} ORDER BY id`)).map((r) => r.id);
        expect(ids, fact).toEqual([...expected[fact]].sort());
      }
      await expectRollup(connection);
    };

    /** The daily message rollup equals a GROUP BY over the message facts, row for row. */
    const expectRollup = async (connection = db) => {
      const order = 'ORDER BY session_id, day, project';
      const rolled = await rows(connection, `SELECT * FROM facts.message_days ${order}`);
      const grouped = await rows(connection, `SELECT * FROM (${messageDaysSelect('FROM facts.messages')}) g ${order}`);
      expect(rolled.map((r) => Object.values(r))).toEqual(grouped.map((r) => Object.values(r)));
      const [days] = await rows(
        connection,
        `SELECT count(*)::INTEGER AS n, (SELECT count(*) FROM facts.messages WHERE created_day IS NULL
           OR created_day <> (created_at AT TIME ZONE 'UTC')::DATE)::INTEGER AS wrong FROM facts.messages`,
      );
      expect(days?.wrong).toBe(0);
      return rolled.length;
    };

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      await store.migrate();
      analytics = await AnalyticsStore.open(':memory:');
      db = await analytics.connect();
    });
    afterAll(async () => {
      db?.closeSync();
      await analytics?.close();
      await store?.close();
      await cleanup?.();
    });

    it('copies every table in batches, in the fact shape, with tenant ids', async () => {
      const a = await newSession('t1', 'alpha');
      const b = await newSession('t1', 'beta');
      const c = await newSession('t2', 'gamma');
      const written = await addMessages('t1', a.id, 10);
      await addMessages('t1', b.id, 6);
      await addMessages('t2', c.id, 9);
      const linked = await addReflection('t1', a.id, 'Index the watermark columns');
      await addReflection('t2', null, 'Batch the appender');
      await addReflection('t1', null, 'Keep one writer');
      await addPattern('t1', 'Retry with backoff');
      await addPattern('t2', 'One writer at a time');
      await addDeadLetter('t1');

      const report = await syncer().run();
      expect(report.ran).toBe(true);
      expect(report.upserted).toEqual({ sessions: 3, messages: 25, reflections: 3, patterns: 2, dead_letters: 1 });
      await expectExact();

      const first = written[0] as NewMessage;
      const [message] = await rows(db, 'SELECT * FROM facts.messages WHERE id = $1', [first.id]);
      expect(message).toEqual({
        id: first.id,
        tenant_id: 't1',
        session_id: a.id,
        project: 'alpha',
        role: 'user',
        seq: 1,
        content: first.content,
        chars: first.content.length,
        created_at: new Date(first.createdAt),
        created_day: new Date(`${first.createdAt.slice(0, 10)}T00:00:00Z`),
        is_error: false,
      });
      const [session] = await rows(db, 'SELECT * FROM facts.sessions WHERE id = $1', [a.id]);
      expect(session).toMatchObject({ tenant_id: 't1', project: 'alpha', status: 'active', message_count: 10 });
      expect(JSON.parse(session?.metadata as string)).toEqual({ n: 0, nested: { ok: true } });
      expect(session?.created_at).toEqual(new Date(a.createdAt));
      const [reflection] = await rows(db, 'SELECT * FROM facts.reflections WHERE id = $1', [linked]);
      expect(reflection).toMatchObject({ tenant_id: 't1', session_id: a.id, tags: ['db', 'lesson'], importance: 0.75 });
      const [pattern] = await rows(
        db,
        'SELECT tenant_id, kind, source, tags FROM facts.patterns WHERE tenant_id = $1',
        ['t2'],
      );
      expect(pattern).toEqual({ tenant_id: 't2', kind: 'best-practice', source: 'manual', tags: ['resilience'] });
      const [letter] = await rows(
        db,
        'SELECT tenant_id, queue, job_name, error, attempts, status FROM facts.dead_letters',
      );
      expect(letter).toEqual({
        tenant_id: 't1',
        queue: 'embedding',
        job_name: 'embed-reflection',
        error: 'provider down',
        attempts: 5,
        status: 'open',
      });
      expect(await count(db, 'messages', "tenant_id = 't2'")).toBe(9);
    });

    it('messages arrive byte for byte whatever CSV makes of their characters, is_error as isErrorMessage says', async () => {
      // The messages travel as a CSV file (quotes, commas, line breaks and nulls are the format's own characters);
      // the last one is a row longer than read_csv's default line limit.
      const session = await newSession('t-csv', 'p,"q"\r\nr');
      const contents = [
        'a,b',
        'say "hi", then leave',
        '""',
        '"',
        ',',
        'line1\nline2',
        'crlf\r\nnext\rend',
        ' lead and trail ',
        '\u2028separated\u2029',
        'é✓😀 漢字',
        '\\N',
        'NULL',
        'TypeError: boom\r',
        'Error\u2028at main',
        'the build failed, 0 failed',
        'npm ERR! missing script',
        '漢'.repeat(700_000),
      ];
      const input: NewMessage[] = contents.map((content, i) => ({
        id: uuidv7(),
        role: (['tool', 'assistant', 'user'] as const)[i % 3] as 'tool' | 'assistant' | 'user',
        content,
        metadata: {},
        idempotencyKey: null,
        createdAt: tick(),
      }));
      const now = tick();
      await store.messages.append('t-csv', session.id, input, now);
      messagesBySession.get(session.id)?.push(...input.map((m) => m.id));
      for (const m of input) receivedAt.set(m.id, now);

      await syncer().run();
      const loaded = await rows(
        db,
        `SELECT id, project, role, content, chars, is_error FROM facts.messages WHERE tenant_id = 't-csv' ORDER BY seq`,
      );
      expect(loaded).toEqual(
        input.map((m) => ({
          id: m.id,
          project: 'p,"q"\r\nr',
          role: m.role,
          content: m.content,
          chars: [...m.content].length,
          is_error: isErrorMessage(m.role, m.content),
        })),
      );
      expect(loaded.filter((m) => m.is_error).length).toBeGreaterThanOrEqual(3);
      await expectExact();
    });

    it('re-running never duplicates, and the watermark and freshness say how far it got', async () => {
      const before = await analytics.freshness();
      await syncer().run();
      await syncer({ overlapMs: 3_600_000 }).run();
      await expectExact();
      for (const fact of FACT_TABLES) {
        const [dupes] = await rows(db, `SELECT (count(*) - count(DISTINCT id))::INTEGER AS d FROM facts.${fact}`);
        expect(dupes?.d, fact).toBe(0);
      }
      const freshness = await analytics.freshness();
      expect(freshness.map((f) => f.fact)).toEqual([...FACT_TABLES]);
      const messages = freshness.find((f) => f.fact === 'messages');
      // The messages' watermark is their newest arrival (received_at), not a fact column.
      expect(messages?.watermark).toBe(messagesInSyncOrder().at(-1)?.at);
      expect(messages?.lagSeconds).toBeGreaterThanOrEqual(0);
      expect(messages?.lagSeconds).toBeLessThan(60);
      // A later caught-up run moves synced_at on, never the watermark back.
      expect(Date.parse(messages?.syncedAt as string)).toBeGreaterThanOrEqual(
        Date.parse(before.find((f) => f.fact === 'messages')?.syncedAt as string),
      );
    });

    it('propagates updates and new rows, advancing the watermark', async () => {
      const before = (await analytics.freshness()).find((f) => f.fact === 'sessions')?.watermark as string;
      const target = sessions[0] as string;
      const renamedAt = tick();
      await store.sessions.update('t1', target, () => ({ name: 'renamed', status: 'ended', updatedAt: renamedAt }));
      await store.reflections.update('t1', reflections[0] as string, () => ({
        tags: ['changed'],
        importance: 0.25,
        updatedAt: tick(),
      }));
      await store.deadLetters.setStatus([deadLetters[0] as string], 'discarded', tick());
      await addMessages('t1', sessions[1] as string, 3);

      const report = await syncer().run();
      expect(report.upserted.messages).toBeGreaterThanOrEqual(3);
      await expectExact();
      const [session] = await rows(
        db,
        'SELECT name, status, message_count, updated_at FROM facts.sessions WHERE id = $1',
        [target],
      );
      expect(session).toEqual({ name: 'renamed', status: 'ended', message_count: 10, updated_at: new Date(renamedAt) });
      const [reflection] = await rows(db, 'SELECT tags, importance FROM facts.reflections WHERE id = $1', [
        reflections[0],
      ]);
      expect(reflection).toEqual({ tags: ['changed'], importance: 0.25 });
      const [letter] = await rows(db, 'SELECT status FROM facts.dead_letters WHERE id = $1', [deadLetters[0]]);
      expect(letter?.status).toBe('discarded');
      const [other] = await rows(db, 'SELECT message_count FROM facts.sessions WHERE id = $1', [sessions[1]]);
      expect(other?.message_count).toBe(9);
      const after = (await analytics.freshness()).find((f) => f.fact === 'sessions')?.watermark as string;
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    });

    it('propagates deletes: a session takes its messages along and unlinks its reflections', async () => {
      const doomed = sessions[0] as string;
      const linked = reflections[0] as string;
      expect(await store.sessions.delete('t1', doomed)).toBe(true);
      sessions.splice(sessions.indexOf(doomed), 1);
      messagesBySession.delete(doomed);
      const reflection = reflections[1] as string;
      expect(await store.reflections.delete('t2', reflection)).toBe(true);
      reflections.splice(reflections.indexOf(reflection), 1);
      const pattern = patterns[0] as string;
      expect(await store.patterns.delete('t1', pattern)).toBe(true);
      patterns.splice(patterns.indexOf(pattern), 1);

      const report = await syncer().run();
      expect(report.deleted).toMatchObject({ sessions: 1, messages: 10, reflections: 1, patterns: 1 });
      await expectExact();
      const [unlinked] = await rows(db, 'SELECT session_id FROM facts.reflections WHERE id = $1', [linked]);
      expect(unlinked?.session_id).toBeNull();
      expect(await count(db, 'messages', `session_id = '${doomed}'`)).toBe(0);
    });

    it('a bounded delete pass still reaches every deleted row within ⌈rows / batch⌉ runs', async () => {
      const extra = await newSession('t3', 'delta');
      await addMessages('t3', extra.id, 2);
      const small = syncer({ reconcileBatchSize: 1 });
      await small.run();
      await expectExact();
      expect(await store.sessions.delete('t3', extra.id)).toBe(true);
      sessions.splice(sessions.indexOf(extra.id), 1);
      messagesBySession.delete(extra.id);
      const total = await count(db, 'sessions');
      for (let i = 0; i <= total; i++) await small.run();
      await expectExact();
    });

    it('a sync interrupted between batches leaves whole batches, and the next run catches up exactly', async () => {
      const fresh = await AnalyticsStore.open(':memory:');
      const connection = await fresh.connect();
      try {
        const interrupted = new AnalyticsSync(fresh, store.analyticsSource, OPTIONS, {
          afterBatch: (fact, batch) => {
            if (fact === 'messages' && batch === 2) throw new Error('worker killed');
          },
        });
        await expect(interrupted.run()).rejects.toThrow('worker killed');
        // Sessions are complete; messages hold exactly two whole batches in (received_at, id) order, and the
        // watermark is the arrival time of their last row.
        expect(await count(connection, 'sessions')).toBe(sessions.length);
        expect(await count(connection, 'messages')).toBe(2 * OPTIONS.batchSize);
        const firstBatches = messagesInSyncOrder().slice(0, 2 * OPTIONS.batchSize);
        expect((await rows(connection, 'SELECT id FROM facts.messages ORDER BY id')).map((r) => r.id)).toEqual(
          firstBatches.map((m) => m.id).sort(),
        );
        const [state] = await rows(connection, `SELECT watermark AS w FROM facts.sync_state WHERE fact = 'messages'`);
        expect(iso(state?.w)).toBe(firstBatches.at(-1)?.at);
        expect(await count(connection, 'reflections')).toBe(0);
        // Never caught up: no lag to report yet.
        expect((await fresh.freshness()).find((f) => f.fact === 'messages')?.syncedAt).toBeNull();

        const resumed = await new AnalyticsSync(fresh, store.analyticsSource, OPTIONS).run();
        expect(resumed.upserted.messages).toBeLessThan(allMessages().length);
        await expectExact(connection);
      } finally {
        connection.closeSync();
        await fresh.close();
      }
    });

    it('keeps the daily message rollup equal to a GROUP BY over the messages: days, roles, errors, goals', async () => {
      const s = await newSession('t1', 'alpha');
      const at = (iso: string) => ({ metadata: {}, idempotencyKey: null, createdAt: iso });
      const input: NewMessage[] = [
        { id: uuidv7(), role: 'user', content: 'first goal of the day', ...at('2026-03-02T23:59:59.000Z') },
        { id: uuidv7(), role: 'tool', content: 'TypeError: x is undefined', ...at('2026-03-03T00:00:00.000Z') },
        { id: uuidv7(), role: 'assistant', content: 'npm test: 0 failed', ...at('2026-03-03T00:00:01.000Z') },
        { id: uuidv7(), role: 'user', content: 'second day goal', ...at('2026-03-03T00:00:02.000Z') },
      ];
      await store.messages.append('t1', s.id, input, '2026-03-03T00:00:03.000Z');
      messagesBySession.get(s.id)?.push(...input.map((m) => m.id));
      for (const m of input) receivedAt.set(m.id, '2026-03-03T00:00:03.000Z');
      clock = Math.max(clock, Date.parse('2026-03-03T00:00:03.000Z'));
      await syncer().run();
      await expectExact();
      const days = await rows(
        db,
        `SELECT strftime(day, '%Y-%m-%d') AS day, messages, user_messages, tool_messages, errors, first_user_goal
         FROM facts.message_days WHERE session_id = $1 ORDER BY day`,
        [s.id],
      );
      const flags = await rows(db, 'SELECT content, is_error FROM facts.messages WHERE session_id = $1 ORDER BY seq', [
        s.id,
      ]);
      expect(flags.map((f) => f.is_error)).toEqual([false, true, false, false]);
      expect(days).toEqual([
        {
          day: '2026-03-02',
          messages: 1,
          user_messages: 1,
          tool_messages: 0,
          errors: 0,
          first_user_goal: 'first goal of the day',
        },
        {
          day: '2026-03-03',
          messages: 3,
          user_messages: 1,
          tool_messages: 1,
          errors: 1,
          first_user_goal: 'second day goal',
        },
      ]);
    });

    it('a message written now with a createdAt long before the watermark is still synced, with its own time', async () => {
      const s = await newSession('t2', 'gamma');
      await addMessages('t2', s.id, 3);
      await syncer().run();
      await expectExact();
      // Imported history: created a year before everything synced so far, written (received) now.
      const createdAt = new Date(clock - 365 * 86_400_000).toISOString();
      const old: NewMessage = {
        id: uuidv7(),
        role: 'user',
        content: 'imported goal from last year',
        metadata: {},
        idempotencyKey: null,
        createdAt,
      };
      const now = tick();
      await store.messages.append('t2', s.id, [old], now);
      messagesBySession.get(s.id)?.push(old.id);
      receivedAt.set(old.id, now);

      const report = await syncer().run();
      expect(report.upserted.messages).toBeGreaterThanOrEqual(1);
      await expectExact();
      const [fact] = await rows(
        db,
        "SELECT created_at, strftime(created_day, '%Y-%m-%d') AS day FROM facts.messages WHERE id = $1",
        [old.id],
      );
      expect(iso(fact?.created_at)).toBe(createdAt);
      expect(fact?.day).toBe(createdAt.slice(0, 10));
      const days = await rows(
        db,
        `SELECT messages, first_user_goal FROM facts.message_days
         WHERE session_id = $1 AND strftime(day, '%Y-%m-%d') = $2`,
        [s.id, createdAt.slice(0, 10)],
      );
      expect(days).toEqual([{ messages: 1, first_user_goal: 'imported goal from last year' }]);
      expect((await analytics.freshness()).find((f) => f.fact === 'messages')?.watermark).toBe(now);

      // The embedding reconciler windows on arrival too: the message is in the window around its write.
      const window = {
        from: new Date(Date.parse(now) - 60_000).toISOString(),
        to: new Date(Date.parse(now) + 60_000).toISOString(),
      };
      const missing = await store.embeddings.messagesMissingVector('test-model', window, 'embed:', 1_000);
      expect(missing).toContainEqual({ id: old.id, tenantId: 't2' });
      const byCreation = {
        from: new Date(Date.parse(createdAt) - 60_000).toISOString(),
        to: new Date(Date.parse(createdAt) + 60_000).toISOString(),
      };
      expect(await store.embeddings.messagesMissingVector('test-model', byCreation, 'embed:', 1_000)).toEqual([]);
    });

    it('one writer at a time: concurrent runs are serialized and agree', async () => {
      const s = await newSession('t1', 'alpha');
      await addMessages('t1', s.id, 20);
      const results = await Promise.all([syncer().run(), syncer().run(), syncer().run()]);
      expect(results.every((r) => r.ran)).toBe(true);
      await expectExact();
    });

    it('copies the occurrences of detected patterns (0 for manual ones) and follows re-detection', async () => {
      const evidence = (itemCount: number): PatternEvidence => ({
        detector: 'error-signature',
        itemCount,
        sessionCount: 2,
        sessionIds: [sessions[0] as string],
        samples: [],
        firstSeen: '2026-03-01T08:00:00.000Z',
        lastSeen: '2026-03-01T09:00:00.000Z',
        signature: 'Error: boom <n>',
      });
      const detect = (itemCount: number) =>
        store.patterns.saveDetected(
          { tenantId: 't1', project: 'alpha', fingerprint: 'error:boom', newId: uuidv7(), now: tick() },
          () => ({
            name: 'Recurring error: boom',
            description: 'boom',
            kind: 'recurring-error',
            examples: ['Error: boom 1'],
            tags: ['detected'],
            evidence: evidence(itemCount),
            centroid: null,
          }),
        );
      await addPattern('t1', 'Written by hand');
      const first = await detect(4);
      patterns.push(first.pattern.id);
      await syncer().run();
      await expectExact();
      const occurrences = async () =>
        rows(
          db,
          'SELECT id, source, occurrences FROM facts.patterns WHERE tenant_id = $1 ORDER BY occurrences DESC, id',
          ['t1'],
        );
      const manual = (
        await rows(db, "SELECT id FROM facts.patterns WHERE tenant_id = 't1' AND source = 'manual' ORDER BY id")
      ).map((r) => ({ id: r.id, source: 'manual', occurrences: 0 }));
      expect(manual.length).toBeGreaterThan(0);
      const expected = (n: number) => [{ id: first.pattern.id, source: 'detected', occurrences: n }, ...manual];
      expect(await occurrences()).toEqual(expected(4));
      // Re-detected with more occurrences: the same row, updated.
      expect((await detect(9)).created).toBe(false);
      await syncer().run();
      expect(await occurrences()).toEqual(expected(9));
      await expectExact();
    });

    it('an analytics file from before patterns.occurrences gets the column and re-reads every pattern', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-analytics-upgrade-'));
      const path = join(dir, 'old.duckdb');
      try {
        const old = await AnalyticsStore.open(path);
        await syncer({}, old).run();
        // What a file of the previous version looks like: no occurrences column.
        await old.withWriter((c) => c.run('ALTER TABLE facts.patterns DROP COLUMN occurrences'));
        await old.close();
        const upgraded = await AnalyticsStore.open(path);
        const c = await upgraded.connect();
        try {
          const [state] = await rows(c, "SELECT count(*)::INTEGER AS n FROM facts.sync_state WHERE fact = 'patterns'");
          expect(state?.n).toBe(0);
          await syncer({}, upgraded).run();
          await expectExact(c);
          const detected = await rows(c, "SELECT occurrences FROM facts.patterns WHERE source = 'detected'");
          expect(detected).toEqual([{ occurrences: 9 }]);
          const [manual] = await rows(
            c,
            "SELECT count(*)::INTEGER AS n FROM facts.patterns WHERE source = 'manual' AND occurrences <> 0",
          );
          expect(manual?.n).toBe(0);
        } finally {
          c.closeSync();
          await upgraded.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
