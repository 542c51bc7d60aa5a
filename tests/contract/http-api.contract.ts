import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';

type Json = Record<string, unknown>;

/**
 * The REST API, driven in-process with `app.request()`. Runs against lite mode (tests/unit) and
 * standard mode on real PostgreSQL and Redis (tests/integration).
 */
export function describeHttpApi(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`REST API: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;

    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await app.http.request(path, init);
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Json) : undefined;
      return { status: res.status, headers: res.headers, text, json: json as Json };
    };
    const createSession = async (body: Json = { name: 'work', project: 'proj' }) => {
      const res = await call('POST', '/v1/sessions', body);
      expect(res.status).toBe(201);
      return res.json as Json & { id: string };
    };
    const expectProblem = (res: { status: number; headers: Headers; json: Json }, status: number, code: string) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.json).toMatchObject({ status, code });
      expect(JSON.stringify(res.json)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open());
    });
    afterAll(async () => {
      await app.close();
      await cleanup();
    });

    it('creates, reads, updates and deletes a session', async () => {
      const res = await call('POST', '/v1/sessions', {
        name: '  Auth refactor ',
        project: 'auth-service',
        metadata: { a: 1 },
      });
      expect(res.status).toBe(201);
      const s = res.json as Json & { id: string };
      expect(res.headers.get('location')).toBe(`/v1/sessions/${s.id}`);
      expect(s).toMatchObject({
        name: 'Auth refactor',
        project: 'auth-service',
        status: 'active',
        tenantId: 'default',
      });
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toEqual(s);

      const patched = await call('PATCH', `/v1/sessions/${s.id}`, {
        status: 'ended',
        metadata: { a: null, b: { c: 2 } },
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ status: 'ended', metadata: { b: { c: 2 } }, name: 'Auth refactor' });

      expect((await call('DELETE', `/v1/sessions/${s.id}`)).status).toBe(204);
      expectProblem(await call('GET', `/v1/sessions/${s.id}`), 404, 'not_found');
      expectProblem(await call('DELETE', `/v1/sessions/${s.id}`), 404, 'not_found');
    });

    it('rejects invalid status changes with 409 and leaves the session unchanged', async () => {
      const s = await createSession();
      expect((await call('PATCH', `/v1/sessions/${s.id}`, { status: 'archived' })).status).toBe(200);
      expectProblem(await call('PATCH', `/v1/sessions/${s.id}`, { status: 'active' }), 409, 'conflict');
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ status: 'archived' });
      const add = await call('POST', `/v1/sessions/${s.id}/messages`, { role: 'user', content: 'late' });
      expectProblem(add, 409, 'conflict');
      expect((await call('PATCH', `/v1/sessions/${s.id}`, { status: 'ended' })).json).toMatchObject({
        status: 'ended',
      });
    });

    it('answers 400 naming the offending field, and stores nothing', async () => {
      const bad = await call('POST', '/v1/sessions', { name: '', project: 'has space', extra: 1 });
      expectProblem(bad, 400, 'validation_failed');
      const fields = (bad.json.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['extra', 'name', 'project']);
      expectProblem(await call('GET', '/v1/sessions/not-a-uuid'), 400, 'validation_failed');
      expectProblem(await call('PATCH', `/v1/sessions/${(await createSession()).id}`, {}), 400, 'validation_failed');

      const s = await createSession();
      const batch = await call('POST', `/v1/sessions/${s.id}/messages/batch`, {
        messages: [
          { role: 'user', content: 'fine' },
          { role: 'robot', content: 'bad role' },
        ],
      });
      expectProblem(batch, 400, 'validation_failed');
      expect(batch.json.detail).toMatch(/messages\.1\.role/);
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ messageCount: 0 });
      const big = await call('POST', `/v1/sessions/${s.id}/messages`, {
        role: 'user',
        content: 'x',
        metadata: { blob: 'y'.repeat(app.config.limits.metadataBytes) },
      });
      expectProblem(big, 400, 'validation_failed');
      expect(big.json.detail).toMatch(/metadata/);
    });

    it('refuses text with a NUL character (PostgreSQL cannot store it) with a 400 naming the field', async () => {
      const s = await createSession();
      const message = await call('POST', `/v1/sessions/${s.id}/messages`, { role: 'user', content: 'a\u0000b' });
      expectProblem(message, 400, 'validation_failed');
      expect(message.json.errors).toEqual([{ field: 'content', message: expect.stringMatching(/NUL/) }]);
      const nested = await call('POST', `/v1/sessions/${s.id}/messages`, {
        role: 'user',
        content: 'fine',
        metadata: { tool: { args: ['ok', 'bad\u0000'] } },
      });
      expect(nested.json.errors).toEqual([{ field: 'metadata.tool.args.1', message: expect.stringMatching(/NUL/) }]);
      expectProblem(await call('GET', '/v1/search/quick?q=a%00b'), 400, 'validation_failed');
      expectProblem(
        await call('POST', '/v1/reflections', { content: 'x\u0000y', project: 'p' }),
        400,
        'validation_failed',
      );
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ messageCount: 0 });
    });

    it('refuses message content that is only whitespace with a 400 naming the field, and stores nothing', async () => {
      const s = await createSession();
      for (const content of [' '.repeat(2001), '\n\t  \n']) {
        const message = await call('POST', `/v1/sessions/${s.id}/messages`, { role: 'user', content });
        expectProblem(message, 400, 'validation_failed');
        expect(message.json.errors).toEqual([{ field: 'content', message: expect.stringMatching(/blank/) }]);
      }
      const batch = await call('POST', `/v1/sessions/${s.id}/messages/batch`, {
        messages: [
          { role: 'user', content: 'fine' },
          { role: 'user', content: '   ' },
        ],
      });
      expectProblem(batch, 400, 'validation_failed');
      expect(batch.json.errors).toEqual([{ field: 'messages.1.content', message: expect.stringMatching(/blank/) }]);
      expect(
        (await call('POST', `/v1/sessions/${s.id}/messages`, { role: 'user', content: '  padded  ' })).status,
      ).toBe(201);
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ messageCount: 1 });
    });

    it('refuses a forged cursor with a 400, not a database error', async () => {
      const forged = Buffer.from(
        JSON.stringify({ v: '+275760-09-13T00:00:00.000Z', id: '01a21dc0-eea9-7000-80a6-43b8e2b19839' }),
      ).toString('base64url');
      expectProblem(await call('GET', `/v1/sessions?cursor=${forged}`), 400, 'validation_failed');
      const forgedReflection = Buffer.from(
        JSON.stringify({ c: '+275760-09-13T00:00:00.000Z', id: '01a21dc0-eea9-7000-80a6-43b8e2b19839' }),
      ).toString('base64url');
      expectProblem(await call('GET', `/v1/reflections?cursor=${forgedReflection}`), 400, 'validation_failed');
    });

    it('answers 415, 400 and 413 for bodies that are not acceptable JSON', async () => {
      const form = await call('POST', '/v1/sessions', 'name=x', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expectProblem(form, 415, 'unsupported_media_type');
      const broken = await call('POST', '/v1/sessions', '{"name": ', { 'content-type': 'application/json' });
      expectProblem(broken, 400, 'validation_failed');
      expect(broken.json.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
      const huge = await call('POST', '/v1/sessions', { name: 'x'.repeat(app.config.server.bodyLimitBytes + 10) });
      expectProblem(huge, 413, 'payload_too_large');
      expectProblem(await call('GET', '/v1/nothing-here'), 404, 'not_found');
    });

    it('adds messages in order, replays idempotent retries and pages through them', async () => {
      const s = await createSession();
      const first = await call('POST', `/v1/sessions/${s.id}/messages`, {
        role: 'user',
        content: 'Implement JWT auth',
        idempotencyKey: 'req-1',
      });
      expect(first.status).toBe(201);
      expect(first.json).toMatchObject({ seq: 1, role: 'user', sessionId: s.id });
      const retry = await call('POST', `/v1/sessions/${s.id}/messages`, {
        role: 'user',
        content: 'Implement JWT auth',
        idempotencyKey: 'req-1',
      });
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.json).toEqual(first.json);

      const batch = await call('POST', `/v1/sessions/${s.id}/messages/batch`, {
        messages: Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` })),
      });
      expect(batch.status).toBe(201);
      const items = batch.json.items as Array<{ message: Json; created: boolean }>;
      expect(items.map((i) => i.message.seq)).toEqual([2, 3, 4, 5, 6, 7]);

      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
        const page = await call('GET', `/v1/sessions/${s.id}/messages${q}`);
        expect(page.status).toBe(200);
        seen.push(...(page.json.items as Json[]).map((m) => m.seq as number));
        cursor = page.json.nextCursor as string | null;
      } while (cursor);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const latest = await call('GET', `/v1/sessions/${s.id}/messages?order=desc&limit=2`);
      expect((latest.json.items as Json[]).map((m) => m.seq)).toEqual([7, 6]);
      expect((await call('GET', `/v1/sessions/${s.id}`)).json).toMatchObject({ messageCount: 7 });
      expectProblem(await call('GET', `/v1/sessions/${s.id}/messages?cursor=bogus`), 400, 'validation_failed');
      const missing = '01900000-0000-7000-8000-000000000000';
      expectProblem(await call('GET', `/v1/sessions/${missing}/messages`), 404, 'not_found');
      expectProblem(
        await call('POST', `/v1/sessions/${missing}/messages`, { role: 'user', content: 'x' }),
        404,
        'not_found',
      );
      const tooMany = await call('POST', `/v1/sessions/${s.id}/messages/batch`, {
        messages: Array.from({ length: app.config.limits.batchMessages + 1 }, () => ({ role: 'user', content: 'x' })),
      });
      expectProblem(tooMany, 400, 'validation_failed');
      expect(tooMany.json.detail).toMatch(/messages/);

      // Whether they are searchable by meaning yet: coverage of the session, a bounded wait, clear refusals.
      const indexing = await call('GET', `/v1/indexing?sessionId=${s.id}&waitMs=0`);
      expect(indexing.status).toBe(200);
      expect(indexing.json).toMatchObject({ messages: 7, waitedMs: expect.any(Number) });
      expect(indexing.json.embedded as number).toBeLessThanOrEqual(7);
      expectProblem(await call('GET', `/v1/indexing?waitMs=99999`), 400, 'validation_failed');
      expectProblem(await call('GET', `/v1/indexing?sessionId=${missing}`), 404, 'not_found');
    });

    it('lists sessions with filters and cursor pagination', async () => {
      const project = `list-${Date.now()}`;
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await createSession({ name: `s${i}`, project })).id);
      // Timestamps have millisecond resolution: let the update come after the last creation.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await call('PATCH', `/v1/sessions/${made[2]}`, { status: 'ended' });
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const q = `?project=${project}&order=asc&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await call('GET', `/v1/sessions${q}`);
        expect(page.status).toBe(200);
        all.push(...(page.json.items as Json[]).map((s) => s.id as string));
        cursor = page.json.nextCursor as string | null;
      } while (cursor);
      expect(all).toEqual(made);
      const ended = await call('GET', `/v1/sessions?project=${project}&status=ended`);
      expect((ended.json.items as Json[]).map((s) => s.id)).toEqual([made[2]]);
      const recent = await call('GET', `/v1/sessions?project=${project}&sort=updatedAt&order=desc&limit=1`);
      expect((recent.json.items as Json[])[0]?.id).toBe(made[2]);
      const future = await call('GET', `/v1/sessions?project=${project}&createdAfter=2999-01-01T00:00:00Z`);
      expect(future.json.items).toEqual([]);
      expectProblem(await call('GET', '/v1/sessions?limit=100000'), 400, 'validation_failed');
      expectProblem(await call('GET', '/v1/sessions?colour=blue'), 400, 'validation_failed');
      expectProblem(await call('GET', '/v1/sessions?createdAfter=yesterday'), 400, 'validation_failed');
    });

    it('exports a session as JSON and as Markdown', async () => {
      const s = await createSession({ name: 'Export me', project: 'p' });
      await call('POST', `/v1/sessions/${s.id}/messages/batch`, {
        messages: [
          { role: 'user', content: 'How do I rotate keys?' },
          { role: 'tool', content: 'output with ``` fences' },
        ],
      });
      const json = await call('GET', `/v1/sessions/${s.id}/export?format=json`);
      expect(json.status).toBe(200);
      expect(json.headers.get('content-disposition')).toContain(`session-${s.id}.json`);
      const doc = JSON.parse(json.text) as { session: Json; messages: Json[] };
      expect(doc.session.id).toBe(s.id);
      expect(doc.messages.map((m) => m.content)).toEqual(['How do I rotate keys?', 'output with ``` fences']);
      const md = await call('GET', `/v1/sessions/${s.id}/export?format=markdown`);
      expect(md.headers.get('content-type')).toContain('text/markdown');
      expect(md.text).toContain('# Export me');
      expect(md.text).toContain('## 1. user');
      expect(md.text).toContain('````text\noutput with ``` fences\n````');
      expectProblem(await call('GET', `/v1/sessions/${s.id}/export?format=pdf`), 400, 'validation_failed');
    });

    it('summarizes a session from its messages, the same way on every store', async () => {
      const s = await createSession({ name: 'summary', project: 'auth-service' });
      const messages = [
        { role: 'user', content: 'Add JWT authentication to the API. Keep sessions stateless.' },
        { role: 'assistant', content: 'We will use jose for signing. Edited src/auth/jwt.ts and src/app.ts.' },
        {
          role: 'tool',
          content: '$ npm test\nError: connect ECONNREFUSED 127.0.0.1:5432\nTODO: start PostgreSQL in CI',
        },
        { role: 'tool', content: '$ npm test\nError: connect ECONNREFUSED 127.0.0.1:5433' },
        { role: 'assistant', content: 'Tests pass now. Should we rotate keys weekly?' },
      ];
      expect((await call('POST', `/v1/sessions/${s.id}/messages/batch`, { messages })).status).toBe(201);
      const res = await call('GET', `/v1/sessions/${s.id}/summary`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        sessionId: s.id,
        project: 'auth-service',
        goal: 'Add JWT authentication to the API. Keep sessions stateless.',
        decisions: ['We will use jose for signing.'],
        commands: ['npm test'],
        errors: [{ line: 'Error: connect ECONNREFUSED 127.0.0.1:5432', count: 2 }],
        openItems: ['TODO start PostgreSQL in CI', 'Should we rotate keys weekly?'],
        outcome: 'Tests pass now. Should we rotate keys weekly?',
        counts: { messages: 5, byRole: { user: 1, assistant: 2, system: 0, tool: 2 } },
      });
      expect(res.json.filesTouched).toEqual([
        { path: 'src/app.ts', mentions: 1 },
        { path: 'src/auth/jwt.ts', mentions: 1 },
      ]);
      expectProblem(await call('GET', '/v1/sessions/0190f5c2-0000-7000-8000-000000000000/summary'), 404, 'not_found');
      expectProblem(await call('GET', '/v1/sessions/nope/summary'), 400, 'validation_failed');
    });

    it('serves health, readiness, metrics, OpenAPI and the reference page', async () => {
      const health = await call('GET', '/healthz');
      expect(health.json).toMatchObject({ status: 'ok', mode: app.config.mode });
      const ready = await call('GET', '/readyz');
      expect(ready.status).toBe(200);
      const names = (ready.json.dependencies as Json[]).map((d) => d.name);
      expect(names).toEqual(
        app.config.mode === 'standard'
          ? ['postgresql', 'redis', 'analytics (circuit)', 'analytics owner (remote)']
          : ['sqlite'],
      );
      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toMatch(
        /session_buddy_http_requests_total\{method="POST",route="\/v1\/sessions",status="201"/,
      );
      expect(metrics.text).toMatch(/session_buddy_http_request_duration_seconds_bucket\{/);
      const spec = await call('GET', '/openapi.json');
      const paths = spec.json.paths as Record<string, Record<string, Json>>;
      expect(Object.keys(paths)).toEqual(
        expect.arrayContaining(['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/messages']),
      );
      expect(paths['/v1/sessions']?.post?.requestBody).toBeDefined();
      const docs = await call('GET', '/docs');
      expect(docs.text).toContain('/v1/sessions/{id}/messages/batch');
    });
  });
}
