import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { expectMcpRefusal, expectNoLeak, expectRestRefusal, frontDoors, type Json } from '../helpers/front-doors.js';

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)), 'utf8');
const KAYAK = fixture('claude-code/projects/-home-dev-kayak-planner/7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31.jsonl');

interface Result {
  lines: number;
  created: number;
  existing: number;
  skipped: number;
  failed: number;
  errors: Array<{ line: number; message: string }>;
  session: { id: string; name: string; project: string; created: boolean } | null;
}

/** Content of every hit of a search answer (REST body or MCP structuredContent). */
const contents = (answer: Json | undefined): string[] =>
  ((answer?.items ?? []) as Array<Record<string, unknown>>).map((hit) => {
    const m = (hit.message ?? hit.item ?? hit) as { content?: string };
    return m.content ?? '';
  });

/**
 * Issue 13 item 6: past conversations (a Claude Code transcript, generic JSON lines and Markdown) imported over
 * REST and MCP as one session each, every message keeping its own time, importing again adding nothing, a grown
 * file adding only its new lines, bad lines reported by number (never a 500), and the messages found by keyword
 * search within their own time range. Same answers in lite and standard mode.
 */
export function describeHistoryImport(
  name: string,
  open: () => Promise<{ app: Application; cleanup(): Promise<void> }>,
) {
  describe(`history import: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let doors: ReturnType<typeof frontDoors>;
    let kayak: Result;

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      doors = frontDoors(app);
      const res = await doors.rest('POST', '/v1/history/import', { format: 'claude-code', content: KAYAK });
      expect(res.status, res.text).toBe(200);
      kayak = res.json as unknown as Result;
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('imports a Claude Code transcript as one session named by its summary, in the project of its cwd', async () => {
      expect(kayak).toMatchObject({ lines: 12, created: 8, existing: 0, skipped: 4, failed: 0, errors: [] });
      expect(kayak.session).toMatchObject({
        name: 'Tide table parser for the kayak planner',
        project: 'kayak-planner',
        created: true,
      });
      const session = await doors.rest('GET', `/v1/sessions/${kayak.session?.id}`);
      expect(session.json).toMatchObject({
        status: 'ended',
        messageCount: 8,
        createdAt: '2025-10-14T09:00:05.250Z',
        metadata: {
          source: 'claude-code',
          sourceSessionId: '7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31',
          cwd: '/home/dev/kayak-planner',
          gitBranch: 'feature/tide-tables',
        },
      });
    });

    it("keeps each message's own time, role and order", async () => {
      const listed = await doors.rest('GET', `/v1/sessions/${kayak.session?.id}/messages`);
      const items = listed.json.items as Array<{ seq: number; role: string; createdAt: string; content: string }>;
      expect(items.map((m) => [m.seq, m.role, m.createdAt])).toEqual([
        [1, 'user', '2025-10-14T09:00:05.250Z'],
        [2, 'assistant', '2025-10-14T09:00:10.400Z'],
        [3, 'tool', '2025-10-14T09:00:10.900Z'],
        [4, 'assistant', '2025-10-14T09:01:02.000Z'],
        [5, 'tool', '2025-10-14T09:01:20.500Z'],
        [6, 'system', '2025-10-14T09:01:21.000Z'],
        [7, 'assistant', '2025-10-14T09:02:40.000Z'],
        [8, 'user', '2025-10-14T09:05:00.000Z'],
      ]);
      expect(items[3]?.content).toBe(
        '[tool call: Bash] {"command":"npm test -- tides","description":"Run the tide tests"}',
      );
    });

    it('is searchable by keyword within its own time range (REST and MCP search_messages)', async () => {
      const october = 'from=2025-10-14T00:00:00Z&to=2025-10-15T00:00:00Z';
      const rest = await doors.rest('GET', `/v1/search/messages?q=constituents&mode=keyword&${october}`);
      expect(rest.status, rest.text).toBe(200);
      // The question, the failing test's output and the answer ("constituent", same stem).
      expect(contents(rest.json)).toHaveLength(3);
      expect(contents(rest.json).every((c) => /constituent/.test(c))).toBe(true);
      const later = await doors.rest(
        'GET',
        '/v1/search/messages?q=constituents&mode=keyword&from=2025-11-01T00:00:00Z',
      );
      expect(contents(later.json)).toEqual([]);
      const mcp = await doors.mcp('search_messages', {
        q: 'sunrise window',
        mode: 'keyword',
        project: 'kayak-planner',
        session_id: kayak.session?.id,
      });
      expect(contents(mcp.result?.structuredContent)).toEqual(['Great, and make the sunrise window configurable too.']);
    });

    it('importing the same file again adds nothing; a file that grew adds only its new lines', async () => {
      const again = await doors.rest('POST', '/v1/history/import', { format: 'claude-code', content: KAYAK });
      expect(again.json).toMatchObject({
        created: 0,
        existing: 8,
        failed: 0,
        session: { id: kayak.session?.id, created: false },
      });
      const more = [
        {
          type: 'assistant',
          uuid: 'e1000000-0000-4000-8000-000000000011',
          parentUuid: 'e1000000-0000-4000-8000-000000000010',
          sessionId: '7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31',
          timestamp: '2025-10-14T09:06:30.000Z',
          cwd: '/home/dev/kayak-planner',
          message: { role: 'assistant', content: [{ type: 'text', text: 'The sunrise window is now a setting.' }] },
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n');
      // As the raw body, the way a file is uploaded (options in the query).
      const grown = await doors.rest('POST', '/v1/history/import?format=claude-code', `${KAYAK}${more}\n`, {
        'content-type': 'application/x-ndjson',
      });
      expect(grown.status, grown.text).toBe(200);
      expect(grown.json).toMatchObject({ created: 1, existing: 8, session: { id: kayak.session?.id } });
      const session = await doors.rest('GET', `/v1/sessions/${kayak.session?.id}`);
      expect(session.json.messageCount).toBe(9);
    });

    it('reports bad lines with their number and reason and imports the rest (never a 500)', async () => {
      const res = await doors.rest('POST', '/v1/history/import', {
        format: 'claude-code',
        content: fixture('claude-code/bad-lines.jsonl'),
        project: 'ledger',
      });
      expect(res.status, res.text).toBe(200);
      const r = res.json as unknown as Result;
      expect(r).toMatchObject({ lines: 5, created: 2, failed: 3 });
      expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4]);
      expect(r.errors[0]?.message).toMatch(/^not valid JSON/);
      expect(r.errors[1]?.message).toMatch(/^timestamp: /);
      expect(r.errors[2]?.message).toBe('uuid: is required (a string)');
      expect(r.session).toMatchObject({
        project: 'ledger',
        name: 'Rotate the webhook signing secret for the ledger api.',
      });
      expectNoLeak(res.text);
    });

    it('answers hostile lines with line errors, not a 500', async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const lines = [
        `{"type":"assistant","uuid":"d1","timestamp":"2025-10-14T09:00:00Z","message":{"role":"assistant","content":[{"type":"tool_use","name":"Bash","input":${deep}}]}}`,
        '{"type":"user","uuid":"d2","timestamp":"2999-01-01T00:00:00Z","message":{"role":"user","content":"from the future"}}',
        '{"type":"user","uuid":"d3","timestamp":"2025-10-14T09:00:00Z","message":{"role":"user","content":"nul \\u0000 and \\ud800 lone"}}',
        '{"type":"user","uuid":"d4","timestamp":"2025-10-14T09:00:00Z","message":"not an object"}',
        '{"type":"assistant","uuid":"d5","timestamp":"2025-10-14T09:00:00Z","message":{"content":[1,null]}}',
      ];
      const res = await doors.rest('POST', '/v1/history/import', {
        format: 'claude-code',
        content: lines.join('\n'),
        project: 'hostile',
      });
      expect(res.status, res.text).toBe(200);
      const r = res.json as unknown as Result;
      expect(r.errors).toEqual([
        { line: 1, message: 'is nested too deeply to read' },
        { line: 2, message: expect.stringMatching(/^timestamp: must not be more than \d+ seconds in the future$/) },
        { line: 4, message: 'message: is required (an object with role and content)' },
        { line: 5, message: 'message.content.0: must be an object' },
      ]);
      expect(r.created).toBe(1);
      const listed = await doors.rest('GET', `/v1/sessions/${r.session?.id}/messages`);
      expect((listed.json.items as Array<{ content: string }>)[0]?.content).toBe('nul \uFFFD and \uFFFD lone');

      // What the file says about its session is bounded and storable too.
      const odd = JSON.stringify({
        type: 'user',
        uuid: 'o1',
        timestamp: '2025-10-14T09:00:00Z',
        sessionId: 's'.repeat(5_000),
        cwd: `/home/dev/we\u0000ird/${'d'.repeat(5_000)}`,
        gitBranch: 'b\ud800',
        message: { role: 'user', content: '<command-name>/clear</command-name>' },
      });
      const oddRes = await doors.rest('POST', '/v1/history/import', { format: 'claude-code', content: odd });
      expect(oddRes.status, oddRes.text).toBe(200);
      expect(oddRes.json).toMatchObject({ created: 1, failed: 0, session: { project: 'd'.repeat(200) } });
      const oddSession = await doors.rest('GET', `/v1/sessions/${(oddRes.json.session as { id: string }).id}`);
      const meta = oddSession.json.metadata as Record<string, string>;
      expect(meta.sourceSessionId).toHaveLength(150);
      expect(meta.cwd).toHaveLength(1_000);
      expect(meta.gitBranch).toBe('b\uFFFD');
      expect((oddSession.json.name as string).length).toBeLessThanOrEqual(200);
    });

    it('imports generic JSON lines and Markdown over MCP; each is idempotent too', async () => {
      const jsonl = await doors.mcp('import_history', {
        format: 'jsonl',
        content: fixture('chat/chat.jsonl'),
        project: 'baking',
      });
      expect(jsonl.result?.isError, jsonl.text).toBeFalsy();
      expect(jsonl.result?.structuredContent).toMatchObject({ created: 3, failed: 0, session: { project: 'baking' } });
      const again = await doors.mcp('import_history', {
        format: 'jsonl',
        content: fixture('chat/chat.jsonl'),
        project: 'baking',
      });
      expect(again.result?.structuredContent).toMatchObject({ created: 0, existing: 3 });
      const markdown = await doors.rest(
        'POST',
        '/v1/history/import?format=markdown&project=baking',
        fixture('chat/chat.md'),
        {
          'content-type': 'text/markdown',
        },
      );
      expect(markdown.status, markdown.text).toBe(200);
      expect(markdown.json).toMatchObject({ created: 3, session: { name: 'Sourdough starter care', created: true } });
      const id = (markdown.json.session as { id: string }).id;
      const listed = await doors.rest('GET', `/v1/sessions/${id}/messages`);
      expect((listed.json.items as Array<{ createdAt: string }>).map((m) => m.createdAt).slice(0, 2)).toEqual([
        '2025-09-20T18:00:00.000Z',
        '2025-09-20T18:00:12.000Z',
      ]);
      const found = await doors.rest('GET', '/v1/search/messages?q=sourdough&mode=keyword&project=baking');
      expect(contents(found.json).length).toBeGreaterThanOrEqual(2);
    });

    it('refuses bad input naming the field: 400 over REST, isError over MCP', async () => {
      expectRestRefusal(await doors.rest('POST', '/v1/history/import', { format: 'chatgpt', content: '' }), 'format');
      expectRestRefusal(await doors.rest('POST', '/v1/history/import', { format: 'jsonl' }), 'content');
      expectMcpRefusal(await doors.mcp('import_history', { format: 'jsonl', content: 'x', project: 'a b' }), 'project');
    });
  });
}
