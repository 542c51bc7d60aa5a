import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baselineRanking,
  type Figures,
  fromFixture,
  loadConversations,
  figures as score,
} from '../../bench/lib/retrieval-eval.js';
import type { Store } from '../../src/repositories/ports.js';
import { type QueryEmbedder, type SearchMode, SearchService } from '../../src/services/search.service.js';
import { searchAtEdge } from '../helpers/edge.js';
import { storeConversation } from './keyword-semantics.contract.js';

export const conversations = loadConversations();

export type Method = SearchMode | 'baseline';
export type { Figures };

export interface ConversationRetrievalOptions {
  /** Receives the measured figures per method (for logs and the report). */
  report?: (figures: Record<Method, Figures>) => void;
  /** Hybrid hit@10 must be at least this multiple of the baseline. (Default: 1) */
  hybridOverBaseline?: number;
}

/**
 * Message retrieval on the labelled conversations: keyword at least the plain FTS5 baseline, hybrid at least the
 * better of its halves at 5 and 10, and never empty when either half found something.
 */
export function describeConversationRetrieval(
  name: string,
  open: () => Promise<{
    store: Store;
    embedder: QueryEmbedder & { close?(): Promise<void> };
    cleanup(): Promise<void>;
  }>,
  options: ConversationRetrievalOptions = {},
): void {
  describe(`conversation retrieval: ${name}`, () => {
    let store: Store;
    let embedder: QueryEmbedder & { close?(): Promise<void> };
    let cleanup: () => Promise<void>;
    const ids: Record<string, string> = {};
    const keyOf = new Map<string, string>();
    const me = { tenantId: 'conversations' };

    beforeAll(async () => {
      ({ store, embedder, cleanup } = await open());
      await store.migrate();
      const base = Date.parse('2026-02-01T00:00:00Z');
      for (const [i, s] of conversations.sessions.entries()) {
        const at = new Date(base + i * 86_400_000).toISOString();
        await storeConversation(store, embedder, me.tenantId, s.project, s.messages, ids, at);
      }
      for (const [key, id] of Object.entries(ids)) keyOf.set(id, key);
    }, 120_000);
    afterAll(async () => {
      await embedder.close?.();
      await store.close();
      await cleanup();
    });

    it('keyword ≥ the plain FTS5 baseline; hybrid ≥ both halves at 5 and 10, and never empty when a half found something', async () => {
      const search = searchAtEdge(new SearchService(store, embedder));
      const ranked = {} as Record<Method, string[][]>;
      ranked.baseline = baselineRanking(fromFixture(conversations), 'all');
      const empties: string[] = [];
      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        ranked[mode] = [];
        for (const question of conversations.questions) {
          const result = await search.searchMessages(me, { q: question.q, mode, limit: 10 });
          ranked[mode].push(result.items.map((h) => keyOf.get(h.item.id) ?? h.item.id));
        }
      }
      conversations.questions.forEach((question, i) => {
        const halves = (ranked.keyword[i]?.length ?? 0) + (ranked.semantic[i]?.length ?? 0);
        if (halves > 0 && ranked.hybrid[i]?.length === 0) empties.push(question.q);
      });
      const result = {} as Record<Method, Figures>;
      for (const method of ['baseline', 'keyword', 'semantic', 'hybrid'] as const)
        result[method] = score(conversations.questions, ranked[method]);
      const categories: Record<string, Record<string, number>> = {};
      for (const category of new Set(conversations.questions.map((q) => q.category))) {
        const only = (list: string[][]) =>
          score(conversations.questions, list, (i) => conversations.questions[i]?.category === category).hit10;
        categories[category] = Object.fromEntries(
          (['baseline', 'keyword', 'semantic', 'hybrid'] as const).map((m) => [m, Number(only(ranked[m]).toFixed(3))]),
        );
      }
      if (process.env.RETRIEVAL_DEBUG) {
        conversations.questions.forEach((question, i) => {
          const mark = (l: string[] | undefined) =>
            (l ?? [])
              .slice(0, 10)
              .map((k) => (question.evidence.includes(k) ? `*${k}*` : k))
              .join(' ');
          console.log(
            `${question.category} | ${question.q}\n  kw ${mark(ranked.keyword[i])}\n  se ${mark(ranked.semantic[i])}\n  hy ${mark(ranked.hybrid[i])}`,
          );
        });
      }
      options.report?.(result);
      console.log(
        `conversation retrieval ${name}:`,
        JSON.stringify(result),
        'hit@10 by category:',
        JSON.stringify(categories),
      );
      expect(empties).toEqual([]);
      expect(result.keyword.hit10).toBeGreaterThanOrEqual(result.baseline.hit10);
      for (const k of ['hit5', 'hit10', 'recall10'] as const) {
        expect(result.hybrid[k]).toBeGreaterThanOrEqual(Math.max(result.keyword[k], result.semantic[k]));
      }
      expect(result.hybrid.hit10).toBeGreaterThanOrEqual((options.hybridOverBaseline ?? 1) * result.baseline.hit10);
    }, 120_000);
  });
}
