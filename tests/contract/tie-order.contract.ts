import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import { SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';
import type { OpenedStore } from './keyword-semantics.contract.js';

/**
 * Issue 11 defect 6: hits with equal scores come back in one order, by id, on every store and in every mode, so a
 * repeated identical query answers identically — down to the raw vector list, which on PostgreSQL comes from an
 * HNSW scan that may return equal distances in any order. Instantiated by tests/unit/tie-order.sqlite.test.ts and
 * tests/integration/tie-order.postgres.test.ts.
 */
export function describeTieOrder(name: string, open: () => Promise<OpenedStore>): void {
  describe(`tied hits are ordered by id: ${name}`, () => {
    let opened: OpenedStore;
    const me = { tenantId: 'ties' };
    const ids: string[] = [];
    const embedder = new HashEmbeddingProvider();

    beforeAll(async () => {
      opened = await open();
      await opened.store.migrate();
      // Random (v4) ids, so the order rows are stored in is not the order of their ids: only a tie-break can sort them.
      const now = new Date().toISOString();
      const session = await opened.store.sessions.create({
        id: randomUUID(),
        tenantId: me.tenantId,
        project: 'ties',
        name: 'ties',
        status: 'active',
        metadata: {},
        createdAt: now,
      });
      const { messages } = await opened.store.messages.append(
        me.tenantId,
        session.id,
        Array.from({ length: 12 }, () => ({
          id: randomUUID(),
          role: 'user' as const,
          content: 'identical zebra crossing note',
          metadata: {},
          idempotencyKey: null,
          createdAt: now,
        })),
        now,
      );
      const vectors = await embedder.embed(messages.map((m) => m.content));
      await opened.store.embeddings.saveForMessages(
        messages.map((m, i) => ({
          ownerId: m.id,
          tenantId: me.tenantId,
          model: embedder.model,
          vector: vectors[i] as Float32Array,
          createdAt: now,
        })),
      );
      ids.push(...messages.map((m) => m.id));
    }, 60_000);
    afterAll(async () => {
      await opened.store.close();
      await opened.cleanup();
    });

    const sameIds = () => [...ids].sort();

    it('the raw vector list orders equal distances by id', async () => {
      const [vector] = await embedder.embed(['identical zebra crossing note']);
      for (let i = 0; i < 3; i++) {
        const hits = await opened.store.embeddings.vectorSearch(
          me.tenantId,
          vector as Float32Array,
          embedder.model,
          { project: 'ties' },
          50,
        );
        expect(hits.map((h) => h.id)).toEqual(sameIds());
      }
    });

    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      it(`${mode}: repeated identical queries answer in the same order, ties by id`, async () => {
        const search = searchAtEdge(new SearchService(opened.store, embedder));
        for (let i = 0; i < 3; i++) {
          const result = await search.searchMessages(me, { q: 'zebra crossing', mode, project: 'ties', limit: 20 });
          expect(result.items.map((h) => h.item.id)).toEqual(sameIds());
        }
      });
    }
  });
}
