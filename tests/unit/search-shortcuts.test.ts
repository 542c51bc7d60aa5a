import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { pathMentionPattern } from '../../src/domain/search.model.js';
import { createMcpServer } from '../../src/mcp/mcp-server.js';
import { mcpTools } from '../../src/mcp/mcp-tools.js';
import { likeContains } from '../../src/repositories/postgres/search.queries.js';
import { findPathMention, snippetAt, snippetFor } from '../../src/services/search/snippets.js';
import { testConfig } from '../helpers/config.js';

describe('path mentions and snippets', () => {
  it('matches a path as whole components, case-sensitively, with every special character literal', () => {
    const cases: Array<[string, string, boolean]> = [
      ['app.ts', 'edit src/app.ts now', true],
      ['app.ts', 'app.ts', true],
      ['app.ts', 'see app.ts:12, then (app.ts).', true],
      ['app.ts', 'C:\\repo\\app.ts', true],
      ['app.ts', 'webapp.ts', false],
      ['app.ts', 'my-app.ts', false],
      ['app.ts', 'app.tsx', false],
      ['app.ts', 'app.ts.bak', false],
      ['app.ts', 'APP.TS', false],
      ['app.ts', 'appxts', false],
      ['src/app.ts', 'lib/src/app.ts', true],
      ['src/', 'src/a/b.ts', true],
      ['/a/b', 'x/a/b', true],
      ['a+b(c).ts', 'renamed a+b(c).ts', true],
      ['b(c).ts', 'renamed a+b(c).ts', false],
      ['util_%/x.ts', 'in src/util_%/x.ts', true],
      ['util__/x.ts', 'in src/util_%/x.ts', false],
      ['[a].ts', 'a.ts', false],
      ['*.ts', 'x.ts', false],
    ];
    for (const [path, text, expected] of cases) {
      expect(new RegExp(pathMentionPattern(path)).test(text), `${path} in ${text}`).toBe(expected);
    }
  });

  it('escapes LIKE wildcards and the escape character itself', () => {
    expect(likeContains('100%_done\\x')).toBe('%100\\%\\_done\\\\x%');
  });

  it('reports the whole path written around a mention, how often it is mentioned, and a snippet', () => {
    expect(findPathMention('Fixed (src/app.ts). Also src/app.ts:3 and app.tsx', 'app.ts')).toEqual({
      matchedPath: 'src/app.ts',
      snippet: 'Fixed (src/app.ts). Also src/app.ts:3 and app.tsx',
      mentions: 2,
    });
    expect(findPathMention('nothing here: webapp.ts', 'app.ts')).toBeUndefined();
    const long = `${'a '.repeat(200)}the key is src/app.ts in the middle ${'z '.repeat(200)}`;
    const found = findPathMention(long, 'src/app.ts');
    expect(found?.snippet).toMatch(/^….*the key is src\/app\.ts in the middle.*…$/);
    expect(found?.snippet.length).toBeLessThanOrEqual(162);
  });

  it('cuts snippets around the first query word found, or from the start', () => {
    expect(snippetAt('short text', 0, 0)).toBe('short text');
    const text = `${'x'.repeat(300)} Retry with backoff ${'y'.repeat(300)}`;
    expect(snippetFor(text, 'backoff retry')).toMatch(/^…x+ Retry with backoff y+…$/);
    expect(snippetFor('nothing\n\nmatches   here', 'zebra')).toBe('nothing matches here');
  });
});

describe('search shortcuts over REST and MCP (lite)', () => {
  let app: Application;
  let client: Client;
  let sessionId: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON responses are checked by the assertions
  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; type: string; body: any }> => {
    const res = await app.http.request(path, init);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
  };
  const post = (path: string, body: unknown) =>
    call(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const tool = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((p) => (p.type === 'text' ? p.text : '')).join('');

  beforeAll(async () => {
    app = await createApplication(testConfig(), createLogger('silent'), { defaultMetrics: false });
    const server = createMcpServer(
      mcpTools(app.operations),
      { name: 'Session-Buddy', version: 'test' },
      { services: app.services, principal: { tenantId: 'default' }, logger: app.logger },
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: 'unit', version: '1' });
    await client.connect(clientSide);

    sessionId = (await post('/v1/sessions', { name: 'queue work', project: 'api' })).body.id;
    await post(`/v1/sessions/${sessionId}/messages/batch`, {
      messages: [
        { role: 'user', content: 'Why do the workers in src/queue/worker.ts hammer Redis?' },
        { role: 'assistant', content: 'Add retry with exponential backoff and jitter to the worker loop' },
      ],
    });
    await post('/v1/reflections', {
      content: 'Retry with backoff and jitter, capped at five minutes (src/queue/backoff.ts)',
      project: 'api',
      tags: ['retry', 'queues'],
    });
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('serves the shortcuts on REST, each answering the service result', async () => {
    const all = await call('/v1/search?q=backoff%20jitter&mode=keyword');
    expect(all.status).toBe(200);
    expect(all.body.items.map((h: { kind: string }) => h.kind).sort()).toEqual(['message', 'reflection']);

    const quick = await call('/v1/search/quick?q=backoff&mode=keyword&kind=all');
    expect(quick.body).toMatchObject({
      total: 2,
      totals: { reflections: 1, messages: 1 },
      best: { kind: 'reflection' },
    });

    const byFile = await call('/v1/search/by-file?path=worker.ts');
    expect(byFile.body.items).toHaveLength(1);
    expect(byFile.body.items[0]).toMatchObject({ kind: 'message', matchedPath: 'src/queue/worker.ts', mentions: 1 });

    const concept = await call('/v1/search/by-concept?concept=retry%20with%20backoff&limit=5');
    expect(concept.body.reflections).toHaveLength(1);
    expect(concept.body.related.tags.map((t: { name: string }) => t.name).sort()).toEqual(['queues', 'retry']);
    expect(concept.body.related.projects[0]).toMatchObject({ name: 'api' });

    const conversations = await call('/v1/search/conversations?q=backoff&mode=keyword&perSession=2');
    expect(conversations.body.sessions).toEqual([
      expect.objectContaining({
        sessionId,
        project: 'api',
        name: 'queue work',
        matchCount: 1,
        messages: [expect.objectContaining({ seq: 2, role: 'assistant', snippet: expect.stringContaining('backoff') })],
      }),
    ]);
    // The single-kind searches are unchanged.
    expect((await call('/v1/search/reflections?q=backoff&mode=keyword')).body.items).toHaveLength(1);
    expect((await call('/v1/search/messages?q=backoff&mode=keyword')).body.items).toHaveLength(1);
  });

  it('answers a bad parameter with 400 problem+json naming it', async () => {
    const cases: Array<[string, string, string]> = [
      ['/v1/search/quick?q=', 'q', ''],
      ['/v1/search/quick?q=x&kind=everything', 'kind', ''],
      ['/v1/search/quick?q=x&bogus=1', 'bogus', 'is not a known field'],
      ['/v1/search/by-file', 'path', ''],
      ['/v1/search/by-file?path=x&kind=messages&tags=a', 'tags', 'messages have no tags'],
      ['/v1/search/by-concept?concept=x&limit=0', 'limit', ''],
      ['/v1/search/conversations?q=x&perSession=99', 'perSession', ''],
      ['/v1/search?q=x&mode=fuzzy', 'mode', ''],
    ];
    for (const [path, field, message] of cases) {
      const res = await call(path);
      expect(res.status, path).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect(res.body).toMatchObject({ code: 'validation_failed' });
      expect(res.body.errors, path).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, message: expect.stringContaining(message) })]),
      );
    }
  });

  it('documents every search route in the OpenAPI document', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, { get: { operationId: string } }> };
    const search = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/search'));
    expect(Object.fromEntries(search.map(([path, ops]) => [path, ops.get.operationId]))).toEqual({
      '/v1/search/reflections': 'searchReflections',
      '/v1/search/messages': 'searchMessages',
      '/v1/search': 'search',
      '/v1/search/quick': 'quickSearch',
      '/v1/search/by-file': 'searchByFile',
      '/v1/search/by-concept': 'searchByConcept',
      '/v1/search/conversations': 'searchConversations',
    });
  });

  it('serves the same shortcuts as MCP tools with structured content', async () => {
    const quick = await tool('quick_search', { q: 'backoff', mode: 'keyword', tags: ['retry'] });
    expect(quick.isError).toBeFalsy();
    expect(quick.structuredContent).toMatchObject({ total: 1, totals: { messages: 0 }, best: { kind: 'reflection' } });
    expect(text(quick)).toMatch(/^1 matches; best \(reflection .*\): Retry with backoff/);

    const byFile = await tool('search_by_file', { path: 'src/queue/backoff.ts', kind: 'reflections', limit: 5 });
    expect(byFile.structuredContent).toMatchObject({ path: 'src/queue/backoff.ts', items: [{ kind: 'reflection' }] });
    expect(text(byFile)).toMatch(/^1 items mention 'src\/queue\/backoff\.ts'\./);

    const concept = await tool('search_by_concept', { concept: 'retry with backoff' });
    expect(concept.structuredContent).toMatchObject({ related: { tags: expect.any(Array) } });
    expect(text(concept)).toMatch(/related tags: (retry, queues|queues, retry)/);

    const conversations = await tool('search_conversations', { q: 'backoff', mode: 'keyword', perSession: 1 });
    expect(conversations.structuredContent).toMatchObject({
      sessions: [{ session_id: sessionId, messages: [{ seq: 2 }] }],
    });
    // `query` is the original system's word for q; `limit` stays `limit`.
    const asQuery = await tool('search_reflections', { query: 'backoff', mode: 'keyword', limit: 1 });
    expect(asQuery.structuredContent).toMatchObject({
      items: [{ item: { project: 'api', created_at: expect.any(String) } }],
    });
  });

  it('answers bad tool arguments with isError naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['search_by_file', { path: '' }, /path/],
      ['search_by_file', { path: 'x', kind: 'messages', tags: ['a'] }, /tags/],
      ['quick_search', { q: 'x', kind: 'everything' }, /kind/],
      ['quick_search', { q: 'x', extra: true }, /extra/],
      ['search_by_concept', { concept: 'x', limit: 0 }, /limit/],
      ['search_conversations', { q: 'x', perSession: 99 }, /per_session/],
      ['search_conversations', { query: 'x', per_session: 99 }, /per_session/],
      ['search_messages', { query: '' }, /query/],
      ['search_conversations', { q: 'x', from: 'yesterday' }, /from/],
    ];
    for (const [name, args, field] of cases) {
      const result = await tool(name, args);
      expect(result.isError, name).toBe(true);
      expect(text(result)).toMatch(field);
    }
  });
});
