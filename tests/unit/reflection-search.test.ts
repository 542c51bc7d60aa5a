import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import { AppEvents } from '../../src/core/events.js';
import { uuidv7 } from '../../src/core/ids.js';
import { hashEmbed } from '../../src/embeddings/hash.provider.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { restRoutes } from '../../src/http/rest-routes.js';
import { writeFollowUps } from '../../src/jobs/job-registry.js';
import { reflectionOperations } from '../../src/operations/reflection.operations.js';
import { searchOperations } from '../../src/operations/search.operations.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { InMemoryRateLimiter } from '../../src/services/rate-limit.service.js';
import { ReflectionService } from '../../src/services/reflection.service.js';
import { fuseLists, LruCache, SearchService } from '../../src/services/search.service.js';
import type { Services } from '../../src/services/services.js';
import { embedReflectionHandler } from '../../workers/handlers/embed-reflection.handler.js';
import { reflectionsAtEdge, searchAtEdge } from '../helpers/edge.js';

const limits = {
  messageContentChars: 10_000,
  batchMessages: 10,
  metadataBytes: 4096,
  pageSize: 100,
  messageTimeSkewSeconds: 300,
};
const me = { tenantId: 'unit' };

/** The hash provider as an embedder, counting calls; `down` makes it fail like an unreachable provider. */
function hashEmbedder() {
  const e = {
    model: 'hash-256',
    calls: 0,
    down: false,
    async embed(texts: string[]): Promise<Float32Array[]> {
      e.calls++;
      if (e.down) throw new Error('provider down');
      return texts.map((t) => hashEmbed(t, 256));
    },
  };
  return e;
}

describe('fusion and cache', () => {
  it('keeps every text hit and lets only a confident vector list reorder it', () => {
    const text = [
      { id: 'a', rank: 3, coverage: 1 },
      { id: 'b', rank: 2, coverage: 0.5 },
    ];
    const background = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, similarity: 0.4 + (i % 3) * 0.01 }));
    // Near-equal neighbours: the model cannot place the query, text order stands.
    const flat = fuseLists(text, [{ id: 'b', similarity: 0.42 }, ...background]).sort(
      (x, y) => y.explain.fused - x.explain.fused,
    );
    expect(flat.slice(0, 2).map((h) => h.id)).toEqual(['a', 'b']);
    // Their hits that stand out a little join below every text hit, with little weight.
    expect(flat.slice(2).every((h) => h.explain.fused < 0.2)).toBe(true);
    expect(flat[1]?.explain).toMatchObject({ textRank: 2, similarity: 0.42 });
    // One clear outlier: it joins, and the text hit it supports moves up.
    const sharp = fuseLists(text, [{ id: 'b', similarity: 0.9 }, { id: 'c', similarity: 0.85 }, ...background]);
    const byId = Object.fromEntries(sharp.map((h) => [h.id, h.explain]));
    expect(byId.b?.fused).toBeGreaterThan(byId.a?.fused as number);
    expect(byId.a).toMatchObject({ textRank: 1, textScore: 3, similarity: null });
    expect(byId.c).toMatchObject({ textRank: null, similarity: 0.85 });
    expect(byId.b?.fused).toBeLessThanOrEqual(1);
  });

  it('LRU evicts the least recently used key', () => {
    const lru = new LruCache<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.size]).toEqual([1, 3, 2]);
  });
});

describe('reflections and search services (sqlite)', () => {
  let store: SqliteStore;
  const embedder = hashEmbedder();
  let service: { reflections: ReflectionService; search: SearchService };
  // The services called with raw input, parsed with the operations' schemas as REST and MCP parse it.
  let reflections: ReturnType<typeof reflectionsAtEdge>;
  let search: ReturnType<typeof searchAtEdge>;
  let woken = 0;

  beforeAll(() => {
    store = new SqliteStore({ followUps: writeFollowUps });
    const events = new AppEvents();
    events.on('outbox:added', () => woken++);
    service = {
      reflections: new ReflectionService(store, embedder, {
        nearDuplicateThreshold: 0.8,
        events,
      }),
      search: new SearchService(store, embedder),
    };
    reflections = reflectionsAtEdge(service.reflections, limits);
    search = searchAtEdge(service.search);
  });
  afterAll(() => store.close());

  it('stores, returns the existing id for an exact duplicate, reports near duplicates', async () => {
    const handler = embedReflectionHandler(store, embedder);
    const job = {
      tenantId: 'unit',
      queue: 'embedding',
      name: 'embed-reflection',
      key: 'k',
      payload: {},
      attempt: 1,
      maxAttempts: 3,
      enqueuedAt: '',
    } as const;
    const first = await reflections.storeReflection(me, {
      content: 'Always run the migrations inside one transaction',
      tags: ['DB'],
    });
    // By default nothing waits for the model: the queued job embeds it (issue 11, store_reflection ≤ 5 ms).
    expect(first).toMatchObject({ created: true, nearDuplicates: [], nearDuplicateCheck: 'pending' });
    expect(first.reflection.tags).toEqual(['db']);
    expect(woken).toBe(1);
    // Its embedding job and an analytics sync.
    expect((await store.outbox.backlog()).pending).toBe(2);
    expect((await store.reflections.withVector([first.reflection.id], embedder.model)).size).toBe(0);
    expect(await handler({ reflectionId: first.reflection.id }, job as never)).toBe('done');
    const dup = await reflections.storeReflection(me, {
      content: '  always RUN the migrations inside one   transaction ',
    });
    expect(dup).toMatchObject({ created: false, reflection: { id: first.reflection.id } });
    const near = await reflections.storeReflection(me, {
      content: 'Always run the migrations inside one transaction!!! please',
      waitForNearDuplicates: true,
    });
    expect(near).toMatchObject({ created: true, nearDuplicateCheck: 'done' });
    expect(near.nearDuplicates.map((n) => n.id)).toEqual([first.reflection.id]);
    expect(near.nearDuplicates[0]?.similarity).toBeGreaterThanOrEqual(0.8);
    // The vector made at store time is saved, so the job has nothing left to do.
    expect(await handler({ reflectionId: near.reflection.id }, job as never)).toBe('skipped');
    // Asked later, each finds the other (the first was stored before the second existed), from the stored vectors:
    // no model call.
    const calls = embedder.calls;
    expect(await service.reflections.nearDuplicates(me, first.reflection.id)).toMatchObject({
      reflectionId: first.reflection.id,
      nearDuplicateCheck: 'done',
      nearDuplicates: [{ id: near.reflection.id }],
    });
    expect((await service.reflections.nearDuplicates(me, near.reflection.id)).nearDuplicates).toEqual(
      near.nearDuplicates,
    );
    expect(embedder.calls).toBe(calls);
    await expect(service.reflections.nearDuplicates(me, uuidv7())).rejects.toBeInstanceOf(NotFoundError);
    embedder.down = true;
    const unchecked = await reflections.storeReflection(me, {
      content: 'A reflection stored while the provider is down',
      waitForNearDuplicates: true,
    });
    const later = await reflections.storeReflection(me, { content: 'Another one stored while it is down' });
    // With the provider down: a reflection whose vector is stored is still checked; one without a vector is not.
    expect(await service.reflections.nearDuplicates(me, first.reflection.id)).toMatchObject({
      nearDuplicateCheck: 'done',
      nearDuplicates: [{ id: near.reflection.id }],
    });
    expect(await service.reflections.nearDuplicates(me, later.reflection.id)).toMatchObject({
      nearDuplicateCheck: 'unavailable',
      nearDuplicates: [],
    });
    embedder.down = false;
    expect(unchecked).toMatchObject({ created: true, nearDuplicateCheck: 'unavailable' });
    expect(later).toMatchObject({ created: true, nearDuplicateCheck: 'pending' });
    expect(await handler({ reflectionId: unchecked.reflection.id }, job as never)).toBe('done');
    expect(await handler({ reflectionId: unchecked.reflection.id }, job as never)).toBe('skipped');
    // A reflection deleted before its job ran: the job is a no-op, never a dead letter (issue 15, defect 8).
    expect(await handler({ reflectionId: uuidv7() }, job as never)).toBe('gone');
    // Re-worded while its job's model call ran: the vector of the old text is dropped, and the job the re-wording
    // queued embeds the new text, which get_near_duplicates then compares.
    const reworded = await reflections.storeReflection(me, { content: 'Cache the tenant in every cache key' });
    const racing = {
      model: embedder.model,
      async embed(texts: string[]) {
        await service.reflections.update(me, reworded.reflection.id, {
          content: 'Always run the migrations inside one transaction, reworded',
        });
        return embedder.embed(texts);
      },
    };
    expect(await embedReflectionHandler(store, racing)({ reflectionId: reworded.reflection.id }, job as never)).toBe(
      'skipped',
    );
    expect(await store.reflections.getVector(me.tenantId, reworded.reflection.id, embedder.model)).toBeUndefined();
    expect(await handler({ reflectionId: reworded.reflection.id }, job as never)).toBe('done');
    expect(await service.reflections.nearDuplicates(me, reworded.reflection.id)).toMatchObject({
      nearDuplicateCheck: 'done',
      nearDuplicates: expect.arrayContaining([expect.objectContaining({ id: first.reflection.id })]),
    });
  });

  it('validates sizes and fields, updates, lists, deletes, counts', async () => {
    await expect(reflections.storeReflection(me, { content: 'x'.repeat(20_001) })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(reflections.storeReflection(me, { content: 'ok', importance: 2 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(reflections.storeReflection(me, { content: 'ok', sessionId: uuidv7() })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const a = (
      await reflections.storeReflection(me, {
        content: 'Prefer keyset pagination',
        project: 'p2',
        tags: ['api'],
        waitForNearDuplicates: true,
      })
    ).reflection;
    const b = (
      await reflections.storeReflection(me, {
        content: 'Cache query embeddings',
        project: 'p2',
        waitForNearDuplicates: true,
      })
    ).reflection;
    await expect(reflections.update(me, b.id, { content: 'prefer KEYSET pagination' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const updated = await reflections.update(me, b.id, {
      content: 'Cache query embeddings in an LRU',
      importance: 0.9,
    });
    expect(updated).toMatchObject({ content: 'Cache query embeddings in an LRU', importance: expect.closeTo(0.9, 5) });
    const page1 = await reflections.list(me, { project: 'p2', limit: '1' });
    const page2 = await reflections.list(me, { project: 'p2', limit: '1', cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await reflections.list(me, { tags: 'api' })).items.map((r) => r.id)).toEqual([a.id]);
    const stats = await reflections.stats(me, { project: 'p2' });
    expect(stats).toMatchObject({ total: 2, byTag: { api: 1 }, activeModel: 'hash-256' });
    expect(stats.coverage).toBeCloseTo(0.5, 5); // b's vector was dropped when its content changed
    expect(stats.messages).toEqual({ total: 0, embedded: 0, coverage: 1 }); // no session in p2
    await reflections.delete(me, a.id);
    await expect(reflections.get(me, a.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(reflections.delete(me, a.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('searches in three modes, explains scores, finds items without vectors, degrades when the provider is down', async () => {
    const noVector = await store.reflections.create({
      id: uuidv7(),
      tenantId: 'unit',
      project: 's',
      sessionId: null,
      content: 'Flaky tests come from timing races',
      contentHash: 'h-novec',
      tags: ['testing'],
      importance: 0.5,
      metadata: {},
      createdAt: new Date().toISOString(),
    });
    const hybrid = await search.searchReflections(me, { q: 'timing races make tests flaky', project: 's' });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.items[0]).toMatchObject({
      item: { id: noVector.reflection.id },
      explain: { textRank: 1, similarity: null },
    });
    expect((await search.searchReflections(me, { q: 'timing races', mode: 'semantic', project: 's' })).items).toEqual(
      [],
    );
    const keyword = await search.searchReflections(me, { q: 'migrations transaction', mode: 'keyword', tags: 'db' });
    expect(keyword.items.map((h) => h.item.content)).toEqual(['Always run the migrations inside one transaction']);
    expect(keyword.items[0]?.score).toBe(1);
    const semantic = await search.searchReflections(me, {
      q: 'run the migrations inside one transaction',
      mode: 'semantic',
      limit: '1',
    });
    expect(semantic.items[0]?.explain.similarity).toBeGreaterThan(0.5);
    const calls = embedder.calls;
    await search.searchReflections(me, { q: 'run the migrations inside one transaction', mode: 'semantic' });
    expect(embedder.calls).toBe(calls); // cached
    const recent = await search.searchReflections(me, { q: 'migrations', halfLifeDays: '30', minScore: '0.01' });
    expect(recent.items[0]?.explain.recency).toBeCloseTo(1, 3);
    embedder.down = true;
    const degraded = await search.searchReflections(me, { q: 'a brand new query about migrations', mode: 'semantic' });
    embedder.down = false;
    expect(degraded).toMatchObject({
      mode: 'keyword',
      model: null,
      degraded: expect.stringContaining('provider down'),
    });
    expect(degraded.items.length).toBeGreaterThan(0);
    await expect(search.searchReflections(me, { q: '' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('searches messages and serves everything over the REST routes', async () => {
    const s = await store.sessions.create({
      id: uuidv7(),
      tenantId: 'unit',
      project: 'm',
      name: 's',
      status: 'active',
      metadata: {},
      createdAt: new Date().toISOString(),
    });
    await store.messages.append(
      'unit',
      s.id,
      [
        {
          id: uuidv7(),
          role: 'user',
          content: 'The build breaks on Node 22',
          metadata: {},
          idempotencyKey: null,
          createdAt: new Date().toISOString(),
        },
      ],
      new Date().toISOString(),
    );
    // The reflection operations and the two single-kind searches, as REST serves them.
    const routes = restRoutes(
      [
        ...reflectionOperations(limits),
        ...searchOperations().filter((op) => ['search_reflections', 'search_messages'].includes(op.name)),
      ],
      {
        ...service,
        rateLimits: new InMemoryRateLimiter({ enabled: false, perSecond: 20, burst: 100 }),
      } as unknown as Services,
    );
    const app = new Hono();
    for (const route of routes) {
      app.on(route.method.toUpperCase(), route.path, async (c) =>
        route.handler(c, {
          params: c.req.param() as Record<string, string>,
          query: c.req.query(),
          body: route.method === 'get' || route.method === 'delete' ? undefined : await c.req.json(),
          principal: me,
        }),
      );
    }
    // biome-ignore lint/suspicious/noExplicitAny: JSON responses are checked by the assertions
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
      const res = await app.request(path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    const posted = await call('POST', '/v1/reflections', {
      content: 'Pin better-sqlite3 to 12 on Node 20',
      project: 'm',
    });
    expect(posted.status).toBe(201);
    expect(
      (await call('POST', '/v1/reflections', { content: 'pin better-sqlite3 to 12 on node 20', project: 'm' })).status,
    ).toBe(200);
    const id = posted.body.reflection.id as string;
    expect((await call('GET', `/v1/reflections/${id}`)).body.id).toBe(id);
    const waited = await call('POST', '/v1/reflections', {
      content: 'Pin better-sqlite3 to 12 on Node 20, always',
      project: 'm',
      waitForNearDuplicates: true,
    });
    // No job runs here, so the first is not embedded yet and is not found; the second's vector is saved at once.
    expect(waited.body).toMatchObject({ nearDuplicateCheck: 'done', nearDuplicates: [] });
    const waitedId = waited.body.reflection.id as string;
    expect(await call('GET', `/v1/reflections/${id}/near-duplicates`)).toMatchObject({
      status: 200,
      body: { reflectionId: id, nearDuplicateCheck: 'done', nearDuplicates: [{ id: waitedId }] },
    });
    expect((await call('DELETE', `/v1/reflections/${waitedId}`)).status).toBe(204);
    expect((await call('PATCH', `/v1/reflections/${id}`, { tags: ['deps'] })).body.tags).toEqual(['deps']);
    expect((await call('GET', '/v1/reflections?project=m')).body.items).toHaveLength(1);
    expect((await call('GET', '/v1/reflections/stats?project=m')).body).toMatchObject({ total: 1, byTag: { deps: 1 } });
    const found = await call('GET', '/v1/search/reflections?q=sqlite%20node&mode=keyword&project=m');
    expect(found.body.items[0].item.id).toBe(id);
    const messages = await call('GET', '/v1/search/messages?q=build%20broken&project=m');
    expect(messages.body.items[0].item.content).toBe('The build breaks on Node 22');
    expect((await call('DELETE', `/v1/reflections/${id}`)).status).toBe(204);
    // Served and documented from the same RouteDefs.
    const doc = buildOpenApi(routes, { title: 't', version: '1' }) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/reflections',
      '/v1/reflections/stats',
      '/v1/reflections/{id}',
      '/v1/reflections/{id}/near-duplicates',
      '/v1/search/messages',
      '/v1/search/reflections',
    ]);
  });
});
