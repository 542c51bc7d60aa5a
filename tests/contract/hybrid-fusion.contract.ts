import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/repositories/ports.js';
import { type QueryEmbedder, SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';
import { storeConversation } from './keyword-semantics.contract.js';

/**
 * Hybrid fusion with a real embedding model (issue 11, defect 3): never empty when either half has a credible
 * hit, and weak vector neighbours (short, generic chatter) never push the message with the decisive word down.
 * Instantiated for both stores by tests/integration/hybrid-fusion.local.test.ts.
 */
export function describeHybridFusion(
  name: string,
  open: () => Promise<{
    store: Store;
    embedder: QueryEmbedder & { close?(): Promise<void> };
    cleanup(): Promise<void>;
  }>,
): void {
  describe(`hybrid fusion: ${name}`, () => {
    let store: Store;
    let embedder: QueryEmbedder & { close?(): Promise<void> };
    let cleanup: () => Promise<void>;
    let search: ReturnType<typeof searchAtEdge>;
    const me = { tenantId: 'fusion' };
    const ids: Record<string, string> = {};
    const keys = (items: Array<{ item: { id: string } }>) =>
      items.map((h) => Object.keys(ids).find((k) => ids[k] === h.item.id) ?? h.item.id);

    beforeAll(async () => {
      ({ store, embedder, cleanup } = await open());
      await store.migrate();
      search = searchAtEdge(new SearchService(store, embedder));
      // A new project with two messages (the example).
      await storeConversation(
        store,
        embedder,
        me.tenantId,
        'new-app',
        [
          ['jwt', 'Use JWT for stateless auth'],
          ['lunch', 'Lunch is at noon tomorrow'],
        ],
        ids,
      );
      // A chatty conversation: short generic questions sit close to any question-shaped query.
      await storeConversation(
        store,
        embedder,
        me.tenantId,
        'life',
        [
          ['c-1', 'Caroline: Cool! What did it look like?'],
          ['c-2', 'Caroline: When did you do that? What was it like?'],
          ['c-3', 'Caroline: Did you have fun? What did they say?'],
          ['c-4', 'Caroline: That is so nice, when can I see it?'],
          ['c-group', 'Caroline went to the support group meeting on Friday.'],
          ['m-1', 'Melanie: Sounds good, thanks!'],
          ['m-2', 'Melanie: Haha, yes, what a day.'],
          ['c-setback', 'I had a real setback last month, the adoption agency turned my application down.'],
          ['c-speech', 'I gave a speech at the school about my journey.'],
          ['m-3', 'Melanie: we painted a sunrise over the lake with the kids.'],
        ],
        ids,
      );
    }, 120_000);
    afterAll(async () => {
      await embedder.close?.();
      await store.close();
      await cleanup();
    });

    it('no shared word: hybrid answers with the credible semantic hit instead of nothing', async () => {
      const q = { q: 'how do we authenticate users', project: 'new-app', limit: 10 };
      const keyword = await search.searchMessages(me, { ...q, mode: 'keyword' });
      expect(keyword.items).toEqual([]);
      const semantic = await search.searchMessages(me, { ...q, mode: 'semantic' });
      expect(keys(semantic.items)[0]).toBe('jwt');
      const hybrid = await search.searchMessages(me, { ...q, mode: 'hybrid' });
      expect(keys(hybrid.items)).toEqual(['jwt']);
      expect(hybrid.items[0]?.explain.textRank).toBeNull();
    });

    it('weak, generic neighbours never outrank the message holding the decisive word', async () => {
      const q = { q: 'When did Caroline have a setback?', project: 'life', limit: 5 };
      const keyword = await search.searchMessages(me, { ...q, mode: 'keyword' });
      expect(keys(keyword.items)[0]).toBe('c-setback');
      const hybrid = await search.searchMessages(me, { ...q, mode: 'hybrid' });
      expect(keys(hybrid.items)[0]).toBe('c-setback');
      const speech = await search.searchMessages(me, { ...q, q: 'What was the speech at the school about?' });
      expect(keys(speech.items)[0]).toBe('c-speech');
    });
  });
}
