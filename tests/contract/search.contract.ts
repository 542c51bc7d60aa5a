import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../src/domain/reflection.model.js';
import type { Store } from '../../src/repositories/ports.js';
import { type QueryEmbedder, type SearchMode, SearchService } from '../../src/services/search.service.js';

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
      const search = new SearchService(store, embedder);
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
