import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { expectMcpRefusal, expectNoLeak, expectRestRefusal, frontDoors, type Json } from '../helpers/front-doors.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const UUID = '0190a000-0000-7000-8000-000000000001';
const nest = (levels: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
};

/**
 * Issue 10 findings 3 and 4: forged cursors, extreme dates, lone surrogates, NUL at depth, nesting. Every refusal is a
 * 400 (REST problem+json / MCP isError) naming the field, the same in lite and standard mode, and changes nothing.
 */
export function describeBadInput(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`bad input: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let doors: ReturnType<typeof frontDoors>;
    let sessionId: string;

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      doors = frontDoors(app);
      const created = await doors.rest('POST', '/v1/sessions', { name: 'bad-input', project: 'p' });
      expect(created.status).toBe(201);
      sessionId = created.json.id as string;
      expect(
        (await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, { role: 'user', content: 'hi' })).status,
      ).toBe(201);
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    const stored = async () => {
      const messages = await doors.rest('GET', `/v1/sessions/${sessionId}/messages?limit=200`);
      const sessions = await doors.rest('GET', '/v1/sessions?limit=200');
      const reflections = await doors.rest('GET', '/v1/reflections?limit=200');
      const patterns = await doors.rest('GET', '/v1/patterns?limit=200');
      return JSON.stringify([messages.json, sessions.json, reflections.json, patterns.json]);
    };

    describe('finding 3: forged cursors are 400 on every list', () => {
      const forged: Array<[string, string, Json]> = [
        ['sessions: id of dashes', '/v1/sessions', { v: '2026-12-05T07:18:15.330Z', id: '-'.repeat(36) }],
        ['sessions: year 0', '/v1/sessions', { v: '0000-01-01T00:00:00.000Z', id: UUID }],
        ['messages: seq past int4', `/v1/sessions/:sid/messages`, { seq: 2147483648 }],
        ['messages: negative seq', `/v1/sessions/:sid/messages`, { seq: -1 }],
        ['messages: fractional seq', `/v1/sessions/:sid/messages`, { seq: 1.5 }],
        ['messages: extra key', `/v1/sessions/:sid/messages`, { seq: 1, x: 1 }],
        ['dead letters: id not a uuid', '/v1/dead-letters', { failedAt: '2026-12-05T07:18:15.330Z', id: 'x' }],
        ['patterns: year +275760', '/v1/patterns', { c: '+275760-09-13T00:00:00.000Z', id: UUID }],
        ['patterns: search offset', '/v1/patterns?q=x', { o: 1e12 }],
        ['reflections: year 0', '/v1/reflections', { c: '0000-01-01T00:00:00.000Z', id: UUID }],
      ];
      for (const [label, path, cursor] of forged) {
        it(`REST ${label}`, async () => {
          const url = path.replace(':sid', sessionId);
          const res = await doors.rest('GET', `${url}${url.includes('?') ? '&' : '?'}cursor=${b64(cursor)}`);
          expectRestRefusal(res, 'cursor');
        });
      }
      const mcpForged: Array<[string, Json, Json]> = [
        ['list_sessions', {}, { v: '2026-12-05T07:18:15.330Z', id: '-'.repeat(36) }],
        ['get_messages', { session_id: ':sid' }, { seq: 2147483648 }],
        ['list_dead_letters', {}, { failedAt: '2026-12-05T07:18:15.330Z', id: 'x' }],
        ['find_patterns', {}, { c: '+275760-09-13T00:00:00.000Z', id: UUID }],
      ];
      for (const [tool, args, cursor] of mcpForged) {
        it(`MCP ${tool}`, async () => {
          const named = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v === ':sid' ? sessionId : v]));
          expectMcpRefusal(await doors.mcp(tool, { ...named, cursor: b64(cursor) }), 'cursor');
        });
      }
      it('a cursor the server issued still pages', async () => {
        for (let i = 0; i < 3; i++) await doors.rest('POST', '/v1/sessions', { name: `page ${i}` });
        const first = await doors.rest('GET', '/v1/sessions?limit=1');
        expect(first.status).toBe(200);
        const next = await doors.rest('GET', `/v1/sessions?limit=1&cursor=${first.json.nextCursor}`);
        expect(next.status).toBe(200);
        expect((next.json.items as Json[])[0]?.id).not.toBe((first.json.items as Json[])[0]?.id);
      });
    });

    describe('finding 4: one date rule for every time filter', () => {
      const filters: Array<[string, string]> = [
        ['/v1/sessions', 'createdAfter'],
        ['/v1/sessions', 'createdBefore'],
        ['/v1/reflections', 'from'],
        ['/v1/reflections', 'to'],
        ['/v1/reflections/export', 'from'],
        ['/v1/dead-letters', 'failedAfter'],
        ['/v1/dead-letters', 'failedBefore'],
        ['/v1/search?q=x', 'from'],
        ['/v1/search/reflections?q=x', 'to'],
        ['/v1/search/messages?q=x', 'from'],
        ['/v1/search/quick?q=x', 'to'],
        ['/v1/search/by-file?path=a.ts', 'from'],
        ['/v1/search/by-concept?concept=x', 'to'],
        ['/v1/search/conversations?q=x', 'from'],
      ];
      const bad = ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '+275760-09-13T00:00:00.000Z'];
      for (const [path, field] of filters) {
        it(`REST ${path} ${field}`, async () => {
          const sep = path.includes('?') ? '&' : '?';
          for (const value of bad) {
            expectRestRefusal(await doors.rest('GET', `${path}${sep}${field}=${encodeURIComponent(value)}`), field);
          }
          const edge = await doors.rest(
            'GET',
            `${path}${sep}${field}=${encodeURIComponent(field.match(/After|from/) ? '0001-01-01T00:00:00Z' : '9999-12-31T23:59:59.999Z')}`,
          );
          expect(edge.status, edge.text).toBe(200);
        });
      }
      const tools: Array<[string, Json, string]> = [
        ['list_sessions', {}, 'created_after'],
        ['list_dead_letters', {}, 'failed_before'],
        ['search_reflections', { query: 'x' }, 'from'],
        ['search_messages', { query: 'x' }, 'to'],
        ['quick_search', { query: 'x' }, 'from'],
        ['search_by_file', { path: 'a.ts' }, 'to'],
        ['search_by_concept', { concept: 'x' }, 'from'],
        ['search_conversations', { query: 'x' }, 'to'],
        ['export_analytics', { dataset: 'sessions' }, 'from'],
      ];
      for (const [tool, args, field] of tools) {
        it(`MCP ${tool} ${field}`, async () => {
          expectMcpRefusal(await doors.mcp(tool, { ...args, [field]: '0000-01-01T00:00:00Z' }), field);
        });
      }
    });

    describe('finding 4: one text rule — no NUL, no lone surrogate, at any depth, refused and never replaced', () => {
      const bodies: Array<[string, string, () => Json, string]> = [
        ['message content', 'POST /v1/sessions/:sid/messages', () => ({ role: 'user', content: 'a\ud83d' }), 'content'],
        [
          'message metadata value',
          'POST /v1/sessions/:sid/messages',
          () => ({ role: 'user', content: 'ok', metadata: { a: '\udc00' } }),
          'metadata.a',
        ],
        [
          'message metadata key',
          'POST /v1/sessions/:sid/messages',
          () => ({ role: 'user', content: 'ok', metadata: { 'k\ud800': 1 } }),
          'metadata',
        ],
        [
          'idempotency key',
          'POST /v1/sessions/:sid/messages',
          () => ({ role: 'user', content: 'ok', idempotencyKey: '\ud800' }),
          'idempotencyKey',
        ],
        [
          'batch item',
          'POST /v1/sessions/:sid/messages/batch',
          () => ({
            messages: [
              { role: 'user', content: 'ok' },
              { role: 'user', content: 'x\udfff' },
            ],
          }),
          'messages.1.content',
        ],
        ['session name', 'POST /v1/sessions', () => ({ name: 'n\ud83d' }), 'name'],
        ['session rename', 'PATCH /v1/sessions/:sid', () => ({ name: '\udc00n' }), 'name'],
        ['reflection content', 'POST /v1/reflections', () => ({ content: 'lesson \ud83d' }), 'content'],
        [
          'pattern name',
          'POST /v1/patterns',
          () => ({ name: 'p\ud800', description: 'd', kind: 'convention' }),
          'name',
        ],
        [
          'NUL 40 levels down in metadata',
          'POST /v1/sessions/:sid/messages',
          () => ({ role: 'user', content: 'ok', metadata: nest(40, 'a\u0000b') as Json }),
          'metadata.k.k.k',
        ],
        [
          'metadata nested 100 levels',
          'POST /v1/sessions/:sid/messages',
          () => ({ role: 'user', content: 'ok', metadata: nest(100, 1) as Json }),
          'metadata.k',
        ],
        [
          'metadata nested 1,500 levels (refused before parsing)',
          'POST /v1/sessions',
          () => ({ name: 'deep', metadata: nest(1_500, 1) as Json }),
          'body',
        ],
      ];
      for (const [label, route, body, field] of bodies) {
        it(`REST ${label}`, async () => {
          const before = await stored();
          const [method, path] = route.split(' ') as [string, string];
          expectRestRefusal(await doors.rest(method, path.replace(':sid', sessionId), body()), field);
          expect(await stored()).toBe(before);
        });
      }
      it('MCP: lone surrogates, NUL at depth and deep metadata are refused naming the argument', async () => {
        const before = await stored();
        expectMcpRefusal(
          await doors.mcp('add_message', { session_id: sessionId, role: 'user', content: 'a\ud83d' }),
          'content',
        );
        expectMcpRefusal(
          await doors.mcp('add_message', {
            session_id: sessionId,
            role: 'user',
            content: 'ok',
            idempotency_key: '\ud800',
          }),
          'idempotency_key',
        );
        expectMcpRefusal(
          await doors.mcp('add_message', {
            session_id: sessionId,
            role: 'user',
            content: 'ok',
            metadata: nest(40, 'a\u0000b'),
          }),
          'metadata.k.k',
        );
        expectMcpRefusal(await doors.mcp('create_session', { name: 'x', metadata: nest(100, 1) }), 'metadata.k');
        expectMcpRefusal(await doors.mcp('store_reflection', { content: 'lesson \udc00' }), 'content');
        expectMcpRefusal(await doors.mcp('search_reflections', { query: 'x\ud800' }), 'query');
        expect(await stored()).toBe(before);
      });
      it('well-formed text (emoji, U+FFFD, other planes) and 50-level metadata are stored faithfully', async () => {
        const content = 'emoji 😀, replacement \ufffd, CJK 漢字, math 𝔸';
        const metadata = nest(50, 'leaf 😀') as Json;
        const res = await doors.rest('POST', `/v1/sessions/${sessionId}/messages`, { role: 'user', content, metadata });
        expect(res.status, res.text).toBe(201);
        const id = (res.json.message as Json | undefined)?.id ?? res.json.id;
        const list = await doors.rest('GET', `/v1/sessions/${sessionId}/messages?limit=200`);
        const found = (list.json.items as Json[]).find((m) => m.id === id);
        expect(found?.content).toBe(content);
        expect(found?.metadata).toEqual(metadata);
        const reflection = await doors.rest('POST', '/v1/reflections', { content: `lesson ${content}` });
        expect(reflection.status, reflection.text).toBe(201);
        const reflectionId = ((reflection.json.reflection as Json | undefined) ?? reflection.json).id as string;
        expect((await doors.rest('GET', `/v1/reflections/${reflectionId}`)).json.content).toBe(`lesson ${content}`);
      });
      it('strict import is all or nothing when a line breaks the text rule (escaped NUL or lone surrogate)', async () => {
        const before = await stored();
        const entity = (name: string, type: string, obs: string) =>
          `{"type":"entity","name":"${name}","entityType":"${type}","observations":["${obs}"]}`;
        for (const bad of [entity('c', 'x\\u0000y', 'o'), entity('c', 't', 'lone \\ud800')]) {
          const content = [entity('a', 't', 'one'), entity('b', 't', 'two'), bad].join('\n');
          const res = await doors.rest('POST', '/v1/reflections/import', {
            format: 'memory-json',
            content,
            strict: true,
          });
          expect(res.status, res.text).toBe(400);
          expect(res.text).toMatch(/nothing was written/);
          expect(await stored()).toBe(before);
        }
      });
      it('a body nested 20,000 levels is a 400 on REST and on /mcp, not a stack overflow', async () => {
        const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
        const rest = await doors.rest('POST', '/v1/sessions', `{"name":"x","metadata":{"a":${deep}}}`);
        expectRestRefusal(rest, 'body');
        const mcp = await doors.mcp('', undefined, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${deep}}`);
        expect(mcp.status, mcp.text).toBe(400);
        expectNoLeak(mcp.text);
        expect((await doors.rest('GET', '/healthz')).status).toBe(200);
      });
    });
  });
}
