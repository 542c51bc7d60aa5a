import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import type { Store } from '../../src/repositories/ports.js';
import { type QueryEmbedder, SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

/** Stores one conversation of `lines` ([key, content]) in `project`, with vectors of `embedder`; key → message id. */
export async function storeConversation(
  store: Store,
  embedder: QueryEmbedder,
  tenantId: string,
  project: string,
  lines: Array<[string, string]>,
  ids: Record<string, string>,
  createdAt = new Date().toISOString(),
): Promise<string> {
  const session = await store.sessions.create({
    id: uuidv7(),
    tenantId,
    project,
    name: `${project} chat`,
    status: 'active',
    metadata: {},
    createdAt,
  });
  const { messages } = await store.messages.append(
    tenantId,
    session.id,
    lines.map(([, content], i) => ({
      id: uuidv7(),
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content,
      metadata: {},
      idempotencyKey: null,
      createdAt,
    })),
    createdAt,
  );
  const vectors = await embedder.embed(messages.map((m) => m.content));
  await store.embeddings.saveForMessages(
    messages.map((m, i) => ({
      ownerId: m.id,
      tenantId,
      model: embedder.model,
      vector: vectors[i] as Float32Array,
      createdAt,
    })),
  );
  messages.forEach((m, i) => {
    ids[lines[i]?.[0] as string] = m.id;
  });
  return session.id;
}

/**
 * Keyword query semantics, identical on every store (issue 11, defects 1 and 2): user text is words, not
 * syntax (quotes and "or" never empty the result), any word matches, English stop words are dropped, and BM25
 * ranks the message holding the rare, decisive word above short question-like chatter. Instantiated by
 * tests/unit/search-keyword.sqlite.test.ts and tests/integration/search-keyword.postgres.test.ts.
 */
export function describeKeywordSemantics(name: string, open: () => Promise<OpenedStore>): void {
  describe(`keyword query semantics: ${name}`, () => {
    let opened: OpenedStore;
    let search: ReturnType<typeof searchAtEdge>;
    const me = { tenantId: 'keywords' };
    const ids: Record<string, string> = {};
    const embedder = new HashEmbeddingProvider();

    beforeAll(async () => {
      opened = await open();
      await opened.store.migrate();
      search = searchAtEdge(new SearchService(opened.store, embedder));
      await storeConversation(
        opened.store,
        embedder,
        me.tenantId,
        'life',
        [
          ['jon-book', 'Jon: I started reading The Lean Startup last week, it changed how I plan my shop.'],
          ['jon-dance', 'Jon: the dance studio opens in June, I am still looking for a place to start.'],
          ['mel-park', 'Mel: we took the kids to Yellowstone, the national park was breathtaking.'],
          ['mel-theme', 'Mel: the theme park trip is next summer, the kids keep asking about the rides.'],
          ['c-1', 'Caroline: Cool! What did it look like?'],
          ['c-2', 'Caroline: When did you do that? What was it like?'],
          ['c-3', 'Caroline: Did you have fun? What did they say when you did it?'],
          ['c-4', 'Caroline: That is so nice, when can I see it?'],
          ['c-setback', 'Caroline: I had a real setback last month, the adoption agency turned my application down.'],
          ['c-speech', 'Caroline: I gave a speech at the school about my transition journey.'],
        ],
        ids,
      );
      await storeConversation(
        opened.store,
        embedder,
        me.tenantId,
        'code',
        [
          ['k-path', 'Fixed the expiry check in src/auth/jwt.ts and released it as v1.4.2 (see ops@example.io).'],
          ['k-cache', 'Cache plan: cache keys per tenant, cache expiry after an hour, cache warmup at deploy.'],
          ['k-mention', 'We went through the release notes, the cache and the dashboards in the meeting today.'],
          ['k-other', 'The dashboards now load the weekly numbers from the analytics store in one query.'],
        ],
        ids,
      );
      // Another project that talks about setbacks a lot, and another tenant: neither changes this project's answer.
      await storeConversation(
        opened.store,
        embedder,
        me.tenantId,
        'other',
        [['o-1', 'Caroline: setback after setback on the release, what did we miss?']],
        ids,
      );
      await storeConversation(
        opened.store,
        embedder,
        'someone-else',
        'life',
        [['x-1', 'Caroline: The Lean Startup setback speech national park']],
        ids,
      );
    }, 60_000);
    afterAll(async () => {
      await opened.store.close();
      await opened.cleanup();
    });

    const keyword = async (q: string, extra: Record<string, unknown> = {}) =>
      (await search.searchMessages(me, { q, mode: 'keyword', project: 'life', limit: 10, ...extra })).items.map(
        (h) => Object.keys(ids).find((k) => ids[k] === h.item.id) ?? h.item.id,
      );

    it('quotes in the question are plain characters: the book question finds the book message first', async () => {
      expect((await keyword('When did Jon start reading "The Lean Startup"?'))[0]).toBe('jon-book');
      expect((await keyword('When did Jon start reading The Lean Startup?'))[0]).toBe('jon-book');
    });

    it('"or" is a stop word, not an operator: either park matches', async () => {
      const hits = await keyword('Did Mel go to a national park or a theme park?');
      expect(hits.slice(0, 2).sort()).toEqual(['mel-park', 'mel-theme']);
    });

    it('other syntax is plain text too: no error, same words', async () => {
      for (const q of ['-setback', 'setback*', 'NEAR(setback speech)', 'content: setback', 'setback AND NOT speech']) {
        expect(await keyword(q)).toContain('c-setback');
      }
    });

    it('stop words do not rank question-like chatter above the message with the decisive word', async () => {
      expect((await keyword('When did Caroline have a setback?'))[0]).toBe('c-setback');
      expect((await keyword('What did Caroline talk about in her speech?'))[0]).toBe('c-speech');
      // Only "look" and "like" count ("looking" stems to "look"); only stop words: nothing to match.
      expect(await keyword('what did it look like when you did it')).toEqual(['c-1', 'c-2', 'jon-dance']);
      expect(await keyword('what did they do when')).toEqual([]);
    });

    it('words inside paths, versions and addresses match, as FTS5 splits them', async () => {
      for (const q of ['jwt', 'auth jwt', 'v1', 'example']) {
        expect(await keyword(q, { project: 'code' })).toEqual(['k-path']);
      }
    });

    it('a word the message is about outranks a passing mention of it (term frequency counts)', async () => {
      expect(await keyword('cache', { project: 'code' })).toEqual(['k-cache', 'k-mention']);
    });

    it('gives each hit the share of the query it holds (coverage), the same on every store', async () => {
      const coverage = async (q: string) =>
        Object.fromEntries(
          (await opened.store.reflections.textSearch('message', me.tenantId, q, { project: 'code' }, 10)).map((h) => [
            Object.keys(ids).find((k) => ids[k] === h.id),
            Number(h.coverage?.toFixed(3)),
          ]),
        );
      // Every word of the query: 1. A word in two of the four messages weighs less than one in a single message.
      expect(await coverage('jwt auth')).toEqual({ 'k-path': 1 });
      const both = await coverage('jwt dashboards');
      expect(Object.keys(both).sort()).toEqual(['k-mention', 'k-other', 'k-path']);
      expect(both['k-path']).toBeGreaterThan(0.5);
      expect(both['k-mention']).toBeCloseTo(1 - (both['k-path'] as number), 3);
      expect(both['k-other']).toBe(both['k-mention']);
      // A word no message holds counts as the rarest: the best hit of this question holds under half of it.
      const partial = await coverage('jwt zeppelin');
      expect(partial['k-path']).toBeLessThan(0.5);
      expect(partial['k-path']).toBeGreaterThan(0.3);
    });

    it('stays inside the tenant and the project searched', async () => {
      const hits = await keyword('setback');
      expect(hits).toEqual(['c-setback']);
      expect(await keyword('setback', { project: 'other' })).toEqual(['o-1']);
    });
  });
}
