import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import type { Store } from '../../src/repositories/ports.js';
import { type QueryEmbedder, type SearchMode, SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';

interface Corpus {
  reflections: Array<{ id: string; project: string; tags: string[]; content: string }>;
  queries: Array<{ q: string; relevant: string[] }>;
}

export const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/retrieval-corpus.json', import.meta.url), 'utf8'),
) as Corpus;

export type Recall = Record<SearchMode, number>;

export interface RetrievalOptions {
  /** Hybrid recall@5 must be at least this (measured value, rounded down with margin). */
  hybridFloor?: number;
  /** Receives the measured figures (for logs and the report). */
  report?: (recall: Recall) => void;
}

/**
 * Retrieval quality on the labelled corpus: recall@5 per mode, hybrid at least as good as keyword-only and
 * semantic-only. Reflections are stored directly with their vectors (the job path has its own tests).
 */
export function describeRetrievalQuality(
  name: string,
  open: () => Promise<{
    store: Store;
    embedder: QueryEmbedder & { close?(): Promise<void> };
    cleanup(): Promise<void>;
  }>,
  options: RetrievalOptions = {},
): void {
  describe(`retrieval quality: ${name}`, () => {
    let store: Store;
    let embedder: QueryEmbedder & { close?(): Promise<void> };
    let cleanup: () => Promise<void>;
    const ids = new Map<string, string>();

    beforeAll(async () => {
      ({ store, embedder, cleanup } = await open());
      await store.migrate();
      const vectors = await embedder.embed(corpus.reflections.map((r) => r.content));
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (const [i, r] of corpus.reflections.entries()) {
        // A uuid derived from the label keeps runs reproducible (ties break by id).
        const id = `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`;
        ids.set(id, r.id);
        await store.reflections.create({
          id,
          tenantId: 'quality',
          project: r.project,
          sessionId: null,
          content: r.content,
          contentHash: contentHash(r.content),
          tags: r.tags,
          importance: 0.5,
          metadata: {},
          createdAt: new Date(base + i * 60_000).toISOString(),
        });
        await store.reflections.saveVectors([
          {
            ownerId: id,
            tenantId: 'quality',
            model: embedder.model,
            vector: vectors[i] as Float32Array,
            contentHash: contentHash(r.content),
            createdAt: new Date().toISOString(),
          },
        ]);
      }
    }, 120_000);
    afterAll(async () => {
      await embedder.close?.();
      await store.close();
      await cleanup();
    });

    it('hybrid recall@5 is at least keyword-only and semantic-only, and above the floor', async () => {
      const search = searchAtEdge(new SearchService(store, embedder));
      const recall = {} as Recall;
      const perQuery: Record<string, Record<SearchMode, number>> = {};
      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        let sum = 0;
        for (const query of corpus.queries) {
          const result = await search.searchReflections({ tenantId: 'quality' }, { q: query.q, mode, limit: 5 });
          const top = new Set(result.items.map((h) => ids.get(h.item.id)));
          const found = query.relevant.filter((r) => top.has(r)).length / query.relevant.length;
          perQuery[query.q] = { ...(perQuery[query.q] as Record<SearchMode, number>), [mode]: found };
          sum += found;
        }
        recall[mode] = sum / corpus.queries.length;
      }
      options.report?.(recall);
      console.log(`recall@5 ${name}:`, JSON.stringify(recall));
      expect(recall.hybrid).toBeGreaterThanOrEqual(recall.keyword);
      expect(recall.hybrid).toBeGreaterThanOrEqual(recall.semantic);
      if (options.hybridFloor !== undefined) expect(recall.hybrid).toBeGreaterThanOrEqual(options.hybridFloor);
    }, 120_000);
  });
}

/**
 * The search shortcuts (quick, by file, by concept, conversations, both kinds at once) over one store, and the
 * path-mention query every adapter implements. Instantiated by tests/unit/search-shortcuts.sqlite.test.ts and
 * tests/integration/search-shortcuts.postgres.test.ts.
 */
export function describeSearchShortcuts(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`search shortcuts: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let search: ReturnType<typeof searchAtEdge>;
    const embedder = new HashEmbeddingProvider();
    const me = { tenantId: 'shortcuts' };
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    let minute = 0;
    const at = () => new Date(base + ++minute * 60_000).toISOString();
    const ids: Record<string, string> = {};
    let sessionA = '';
    let sessionB = '';

    async function reflection(key: string, project: string, tags: string[], content: string): Promise<void> {
      const { reflection } = await store.reflections.create({
        id: uuidv7(),
        tenantId: me.tenantId,
        project,
        sessionId: null,
        content,
        contentHash: contentHash(content),
        tags,
        importance: 0.5,
        metadata: {},
        createdAt: at(),
      });
      ids[key] = reflection.id;
      const [vector] = await embedder.embed([content]);
      await store.reflections.saveVectors([
        {
          ownerId: reflection.id,
          tenantId: me.tenantId,
          model: embedder.model,
          vector: vector as Float32Array,
          contentHash: reflection.contentHash,
          createdAt: at(),
        },
      ]);
    }

    async function conversation(tenantId: string, project: string, name: string, lines: Array<[string, string]>) {
      const session = await store.sessions.create({
        id: uuidv7(),
        tenantId,
        project,
        name,
        status: 'active',
        metadata: {},
        createdAt: at(),
      });
      const roles = ['user', 'assistant', 'tool'] as const;
      const { messages } = await store.messages.append(
        tenantId,
        session.id,
        lines.map(([, content], i) => ({
          id: uuidv7(),
          role: roles[i % 3] as (typeof roles)[number],
          content,
          metadata: {},
          idempotencyKey: null,
          createdAt: at(),
        })),
        at(),
      );
      const vectors = await embedder.embed(messages.map((m) => m.content));
      await store.embeddings.saveForMessages(
        messages.map((m, i) => ({
          ownerId: m.id,
          tenantId,
          model: embedder.model,
          vector: vectors[i] as Float32Array,
          createdAt: at(),
        })),
      );
      messages.forEach((m, i) => {
        ids[lines[i]?.[0] as string] = m.id;
      });
      return session.id;
    }

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      await store.migrate();
      search = searchAtEdge(new SearchService(store, embedder));
      await reflection('r1', 'web', ['auth', 'tokens'], 'Refresh tokens before expiry; see src/app.ts:42.');
      sessionA = await conversation(me.tenantId, 'web', 'auth refactor', [
        ['a1', 'The login handler in src/app.ts throws when the token expires'],
        ['a2', 'Wrap the call in retry with exponential backoff and jitter'],
        ['a3', 'Also check lib/app.tsx, webapp.ts and app.ts.bak: they are different files'],
        ['a4', 'grep found 100%_done in src/util_%/x.ts'],
        ['a5', 'Renamed a+b(c).ts to plain.ts'],
      ]);
      sessionB = await conversation(me.tenantId, 'api', 'queue work', [
        ['b1', 'Retries with backoff keep the queue healthy'],
        ['b2', 'Edited C:\\repo\\app.ts, then app.ts again'],
      ]);
      await reflection('r2', 'api', ['queues', 'retry'], 'Retry with backoff and jitter avoids thundering herds');
      await reflection('r3', 'api', ['retry'], 'Backoff caps at five minutes (src/queue/backoff.ts)');
      // Another tenant mentions the same file: never visible here.
      await conversation('someone-else', 'web', 'theirs', [['x1', 'src/app.ts is mine, and so is backoff']]);
    }, 60_000);
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    const keys = (list: Array<{ item: { id: string } }>) =>
      list.map((h) => Object.keys(ids).find((k) => ids[k] === h.item.id) ?? h.item.id);

    it('finds path mentions in the store: whole path components, wildcards and regex characters taken literally', async () => {
      const mentions = async (path: string, kind: 'reflection' | 'message' = 'message', filters = {}) =>
        (await store.reflections.pathMentions(kind, me.tenantId, path, filters, 50)).map(
          (id) => Object.keys(ids).find((k) => ids[k] === id) ?? id,
        );
      expect(await mentions('app.ts')).toEqual(['b2', 'a1']);
      expect(await mentions('src/app.ts')).toEqual(['a1']);
      expect(await mentions('app.ts', 'reflection')).toEqual(['r1']);
      expect(await mentions('util_%/x.ts')).toEqual(['a4']);
      expect(await mentions('util__/x.ts')).toEqual([]);
      expect(await mentions('100%_done')).toEqual(['a4']);
      expect(await mentions('%')).toEqual([]);
      expect(await mentions('a+b(c).ts')).toEqual(['a5']);
      expect(await mentions('b(c).ts')).toEqual([]);
      expect(await mentions('src/')).toEqual(['a4', 'a1']);
      expect(await mentions('APP.TS')).toEqual([]);
      expect(await mentions('app.ts', 'message', { project: 'web' })).toEqual(['a1']);
      expect(await mentions('app.ts', 'message', { sessionId: sessionB })).toEqual(['b2']);
      expect(await mentions('backoff.ts', 'reflection', { tagsAny: ['retry'] })).toEqual(['r3']);
    });

    it('search_by_file: newest first over both kinds, with the path as written and a snippet', async () => {
      const found = await search.searchByFile(me, { path: 'app.ts' });
      expect(found.path).toBe('app.ts');
      expect(keys(found.items)).toEqual(['b2', 'a1', 'r1']);
      expect(found.items.map((h) => [h.kind, h.matchedPath, h.mentions])).toEqual([
        ['message', '\\repo\\app.ts', 2],
        ['message', 'src/app.ts', 1],
        ['reflection', 'src/app.ts', 1],
      ]);
      expect(found.items[1]?.snippet).toBe('The login handler in src/app.ts throws when the token expires');
      expect(keys((await search.searchByFile(me, { path: './src/app.ts', limit: '1' })).items)).toEqual(['a1']);
      expect(keys((await search.searchByFile(me, { path: 'app.ts', kind: 'reflections' })).items)).toEqual(['r1']);
      expect(keys((await search.searchByFile(me, { path: 'app.ts', project: 'api' })).items)).toEqual(['b2']);
      expect(keys((await search.searchByFile(me, { path: 'src/', tags: 'retry' })).items)).toEqual(['r3']);
      const long = await search.searchByFile(me, { path: 'src/util_%/x.ts' });
      expect(long.items[0]).toMatchObject({
        matchedPath: 'src/util_%/x.ts',
        snippet: 'grep found 100%_done in src/util_%/x.ts',
      });
      await expect(search.searchByFile(me, { path: 'app.ts', kind: 'messages', tags: 'x' })).rejects.toThrow(/tags/);
      await expect(search.searchByFile(me, { path: './' })).rejects.toThrow(/path/);
      await expect(search.searchByFile(me, { path: 'a\nb' })).rejects.toThrow(/path/);
    });

    it('quick_search: the best hit and how many match, per kind, capped when a candidate list is full', async () => {
      const quick = await search.quickSearch(me, { q: 'backoff', mode: 'keyword' });
      expect(quick).toMatchObject({ q: 'backoff', kind: 'all', mode: 'keyword', model: null, total: 4 });
      expect(quick.totals).toEqual({ reflections: 2, messages: 2 });
      expect(quick.totalCapped).toBe(false);
      expect(quick.best?.score).toBe(1);
      expect(quick.best?.kind).toBe('reflection');
      const messagesOnly = await search.quickSearch(me, {
        q: 'backoff',
        mode: 'keyword',
        kind: 'messages',
        project: 'api',
      });
      expect(messagesOnly).toMatchObject({
        total: 1,
        totals: { reflections: 0, messages: 1 },
        best: { kind: 'message' },
      });
      expect(messagesOnly.best?.item.id).toBe(ids.b1);
      const capped = await searchAtEdge(new SearchService(store, embedder, { candidates: 1 })).quickSearch(me, {
        q: 'backoff',
        mode: 'keyword',
      });
      expect(capped).toMatchObject({ total: 2, totalCapped: true });
      const none = await search.quickSearch(me, { q: 'kubernetes helm chart', mode: 'keyword' });
      expect(none).toMatchObject({ best: null, total: 0, totals: { reflections: 0, messages: 0 }, totalCapped: false });
      const hybrid = await search.quickSearch(me, { q: 'backoff' });
      expect(hybrid).toMatchObject({ mode: 'hybrid', model: embedder.model });
      expect(hybrid.total).toBeGreaterThanOrEqual(4);
      await expect(search.quickSearch(me, { q: 'x', kind: 'everything' })).rejects.toThrow(/kind/);
    });

    it('search: reflections and messages in one list, best first, each hit naming its kind', async () => {
      const all = await search.search(me, { q: 'retry backoff jitter', mode: 'keyword', limit: 3 });
      expect(all.items).toHaveLength(3);
      expect(all.items.map((h) => h.score)).toEqual([...all.items.map((h) => h.score)].sort((a, b) => b - a));
      expect(new Set(all.items.map((h) => h.kind))).toEqual(new Set(['reflection', 'message']));
      const tagged = await search.search(me, { q: 'backoff', tags: 'retry', mode: 'keyword' });
      expect(tagged.items.every((h) => h.kind === 'reflection')).toBe(true);
      expect(new Set(keys(tagged.items))).toEqual(new Set(['r2', 'r3']));
    });

    it('search_by_concept: hits per kind, and the tags and projects they share', async () => {
      const concept = await search.searchByConcept(me, { concept: 'retry with backoff' });
      expect(concept).toMatchObject({ concept: 'retry with backoff', mode: 'hybrid', model: embedder.model });
      expect(new Set(keys(concept.reflections))).toEqual(new Set(['r2', 'r3']));
      expect(keys(concept.messages)).toEqual(expect.arrayContaining(['a2', 'b1']));
      expect(keys(concept.messages)).not.toContain('x1');
      expect(concept.related.tags[0]).toMatchObject({ name: 'retry', count: 2 });
      expect(concept.related.tags.map((t) => t.name)).toContain('queues');
      expect(concept.related.projects.map((p) => p.name).sort()).toEqual(['api', 'web']);
      const reflectionsOnly = await search.searchByConcept(me, { concept: 'backoff', kind: 'reflections', limit: '1' });
      expect(reflectionsOnly.reflections).toHaveLength(1);
      expect(reflectionsOnly.messages).toEqual([]);
      expect(reflectionsOnly.related.projects).toEqual([
        { name: 'api', count: 1, weight: reflectionsOnly.reflections[0]?.score },
      ]);
    });

    it('search_conversations: messages grouped by session, best session first, with seq, role and snippet', async () => {
      const found = await search.searchConversations(me, { q: 'backoff', mode: 'keyword' });
      expect(found.q).toBe('backoff');
      expect(found.sessions.map((s) => s.sessionId).sort()).toEqual([sessionA, sessionB].sort());
      const a = found.sessions.find((s) => s.sessionId === sessionA);
      expect(a).toMatchObject({ project: 'web', name: 'auth refactor', status: 'active', matchCount: 1 });
      expect(a?.messages).toEqual([
        expect.objectContaining({
          id: ids.a2,
          seq: 2,
          role: 'assistant',
          snippet: 'Wrap the call in retry with exponential backoff and jitter',
        }),
      ]);
      expect(a?.bestScore).toBe(a?.messages[0]?.score);
      expect(found.sessions[0]?.bestScore).toBeGreaterThanOrEqual(found.sessions[1]?.bestScore as number);
      const files = await search.searchConversations(me, {
        q: 'app ts files',
        mode: 'keyword',
        perSession: '1',
        limit: '1',
      });
      expect(files.sessions).toHaveLength(1);
      expect(files.sessions[0]?.messages).toHaveLength(1);
      expect(files.sessions[0]?.matchCount).toBeGreaterThan(1);
      const scoped = await search.searchConversations(me, { q: 'backoff', project: 'api' });
      expect(scoped.sessions.map((s) => s.sessionId)).toEqual([sessionB]);
      await expect(search.searchConversations(me, { q: 'x', perSession: '50' })).rejects.toThrow(/perSession/);
    });
  });
}
