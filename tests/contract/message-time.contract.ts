import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { expectMcpRefusal, expectRestRefusal, frontDoors, type Json } from '../helpers/front-doors.js';

/** Content of every hit of a search answer (REST body or MCP structuredContent). */
const contents = (answer: Json | undefined): string[] =>
  ((answer?.items ?? []) as Array<Record<string, unknown>>).map((hit) => {
    const m = (hit.message ?? hit.item ?? hit) as { content?: string };
    return m.content ?? '';
  });

/**
 * Issue 11 defects 5 and 6: messages carry their own time (createdAt on add_message and add_messages, REST and MCP,
 * stored as the message's created_at so from/to filters and recency work on imported history; seq stays arrival
 * order), a clear 400 for a bad or future time, a root-level 400 without a doubled "Invalid input" prefix, and
 * identical answers to repeated identical queries whose hits tie. Same answers in lite and standard mode.
 */
export function describeMessageTime(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`message time and stable answers: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let doors: ReturnType<typeof frontDoors>;
    let sessionId: string;
    const project = 'msgtime';

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      doors = frontDoors(app);
      const created = await doors.rest('POST', '/v1/sessions', { name: 'imported history', project });
      expect(created.status, created.text).toBe(201);
      sessionId = created.json.id as string;
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('REST batch import keeps each createdAt (normalised to UTC) and seq as arrival order', async () => {
      const res = await doors.rest('POST', `/v1/sessions/${sessionId}/messages/batch`, {
        messages: [
          { role: 'user', content: 'october kayak trip planning', createdAt: '2025-10-03T09:00:00+02:00' },
          { role: 'assistant', content: 'november kayak budget review', createdAt: '2025-11-20T10:00:00Z' },
          { role: 'user', content: 'older kayak note arriving late', createdAt: '2025-09-01T00:00:00Z' },
        ],
      });
      expect(res.status, res.text).toBe(201);
      const items = (res.json.items as Array<{ message: { seq: number; createdAt: string } }>).map((i) => i.message);
      expect(items.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(items.map((m) => m.createdAt)).toEqual([
        '2025-10-03T07:00:00.000Z',
        '2025-11-20T10:00:00.000Z',
        '2025-09-01T00:00:00.000Z',
      ]);
      const listed = await doors.rest('GET', `/v1/sessions/${sessionId}/messages`);
      expect((listed.json.items as Array<{ createdAt: string }>).map((m) => m.createdAt)).toEqual(
        items.map((m) => m.createdAt),
      );
    });

    it('MCP add_message takes created_at (and createdAt)', async () => {
      const snake = await doors.mcp('add_message', {
        session_id: sessionId,
        role: 'user',
        content: 'march kayak repair log',
        created_at: '2024-03-15T12:00:00Z',
      });
      expect(snake.result?.isError, snake.text).toBeFalsy();
      const message = (snake.result?.structuredContent?.message ?? {}) as { created_at?: string; createdAt?: string };
      expect(message.created_at ?? message.createdAt).toBe('2024-03-15T12:00:00.000Z');
      const camel = await doors.mcp('add_message', {
        session_id: sessionId,
        role: 'user',
        content: 'april kayak repair log',
        createdAt: '2024-04-15T12:00:00Z',
      });
      expect(camel.result?.isError, camel.text).toBeFalsy();
    });

    it('REST add_message without createdAt is stamped now', async () => {
      const before = Date.now();
      const res = await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, {
        role: 'user',
        content: 'today kayak question',
      });
      expect(res.status, res.text).toBe(201);
      expect(Date.parse(res.json.createdAt as string)).toBeGreaterThanOrEqual(before - 1000);
    });

    it('from/to find imported history by its own time (REST and MCP)', async () => {
      const october = `from=2025-10-01T00:00:00Z&to=2025-11-01T00:00:00Z`;
      const rest = await doors.rest('GET', `/v1/search/messages?q=kayak&mode=keyword&project=${project}&${october}`);
      expect(rest.status, rest.text).toBe(200);
      expect(contents(rest.json)).toEqual(['october kayak trip planning']);
      const mcp = await doors.mcp('search_messages', {
        q: 'kayak',
        mode: 'keyword',
        project,
        from: '2024-01-01T00:00:00Z',
        to: '2025-01-01T00:00:00Z',
      });
      expect(mcp.result?.isError, mcp.text).toBeFalsy();
      expect(contents(mcp.result?.structuredContent).sort()).toEqual([
        'april kayak repair log',
        'march kayak repair log',
      ]);
    });

    it('a bad or future createdAt is a 400 naming the field, and stores nothing', async () => {
      const count = async () =>
        ((await doors.rest('GET', `/v1/sessions/${sessionId}/messages?limit=200`)).json.items as unknown[]).length;
      const before = await count();
      const future = new Date(Date.now() + 3_600_000).toISOString();
      for (const createdAt of ['yesterday', '2025-10-03T09:00:00', '0000-06-01T00:00:00Z', future]) {
        expectRestRefusal(
          await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, { role: 'user', content: 'x', createdAt }),
          'createdAt',
        );
      }
      expectRestRefusal(
        await doors.rest('POST', `/v1/sessions/${sessionId}/messages/batch`, {
          messages: [
            { role: 'user', content: 'fine' },
            { role: 'user', content: 'x', createdAt: future },
          ],
        }),
        'messages.1.createdAt',
      );
      const mcp = await doors.mcp('add_message', {
        session_id: sessionId,
        role: 'user',
        content: 'x',
        created_at: future,
      });
      expectMcpRefusal(mcp, 'created_at');
      // Within the default skew (5 minutes) is accepted: clocks of clients differ a little.
      const soon = new Date(Date.now() + 60_000).toISOString();
      const ok = await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, {
        role: 'user',
        content: 'slightly fast clock',
        createdAt: soon,
      });
      expect(ok.status, ok.text).toBe(201);
      expect(await count()).toBe(before + 1);
    });

    it('an array where an object belongs is one clear 400 without a doubled prefix (REST and MCP)', async () => {
      const whole = await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, [{ role: 'user', content: 'x' }]);
      expectRestRefusal(whole, 'body');
      expect(whole.json.detail).toBe('Invalid input: body: must be a JSON object');
      const nested = await doors.rest('POST', `/v1/sessions/${sessionId}/messages/batch`, {
        messages: [[{ role: 'user', content: 'x' }]],
      });
      expectRestRefusal(nested, 'messages.0');
      expect(nested.json.detail).toBe('Invalid input: messages.0: expected object, received array');
      const mcp = await doors.mcp('add_messages', { session_id: sessionId, messages: [['x']] });
      expectMcpRefusal(mcp, 'messages.0');
      expect(mcp.text).not.toMatch(/Invalid input: [^"]*Invalid input/);
    });

    it('repeated identical queries with tied hits answer in the same order (REST and MCP)', async () => {
      const tied = await doors.rest('POST', '/v1/sessions', { name: 'ties', project: 'ties' });
      const id = tied.json.id as string;
      const batch = await doors.rest('POST', `/v1/sessions/${id}/messages/batch`, {
        messages: Array.from({ length: 8 }, () => ({ role: 'user', content: 'identical zebra line' })),
      });
      expect(batch.status, batch.text).toBe(201);
      const ids = (r: Json | undefined) =>
        ((r?.items ?? []) as Array<Record<string, unknown>>).map(
          (hit) => ((hit.message ?? hit.item ?? hit) as { id: string }).id,
        );
      const first = ids((await doors.rest('GET', '/v1/search/messages?q=zebra&mode=keyword&project=ties')).json);
      expect(first).toHaveLength(8);
      expect([...first].sort()).toEqual(first);
      for (let i = 0; i < 5; i++) {
        expect(ids((await doors.rest('GET', '/v1/search/messages?q=zebra&mode=keyword&project=ties')).json)).toEqual(
          first,
        );
        const mcp = await doors.mcp('search_messages', { q: 'zebra', mode: 'keyword', project: 'ties' });
        expect(ids(mcp.result?.structuredContent)).toEqual(first);
      }
    });
  });
}
