import type { z } from 'zod';
import type { Principal } from '../core/principal.js';
import type { Message } from '../domain/message.model.js';
import {
  messageSearchSchema,
  type Reflection,
  reflectionSearchSchema,
  type SearchMode,
} from '../domain/reflection.model.js';
import type { SearchFilters, SearchKind, Store, TextHit, VectorHit } from '../repositories/ports.js';
import { parseInput } from './validate.js';

export {
  messageSearchSchema,
  reflectionSearchSchema,
  SEARCH_MODES,
  type SearchMode,
} from '../domain/reflection.model.js';

export interface ScoreExplanation {
  /** 1-based position in the full-text list; null when full text did not find the item. */
  textRank: number | null;
  /** Raw full-text score (ts_rank_cd, or -bm25 on SQLite). */
  textScore: number | null;
  /** Cosine similarity to the query; null when vector search did not return the item. */
  similarity: number | null;
  /** Score before recency. */
  fused: number;
  /** Recency factor applied, when a half-life was given. */
  recency?: number;
}

export interface SearchHit<T> {
  item: T;
  /** 0..1. keyword: text score relative to the best hit; semantic: cosine similarity; hybrid: weighted RRF
   * normalised so an item first in both lists scores 1. Times the recency factor when a half-life is given. */
  score: number;
  explain: ScoreExplanation;
}

export interface SearchResult<T> {
  items: Array<SearchHit<T>>;
  mode: SearchMode;
  /** Embedding model of the query vector; null when no vector search ran. */
  model: string | null;
  /** Set when vector search was wanted but could not run (provider down…): results are full-text only. */
  degraded?: string;
}

export interface QueryEmbedder {
  readonly model: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export interface SearchServiceOptions {
  /** Reciprocal rank fusion constant. (Default: 60) */
  rrfK?: number;
  /** How hybrid gates and weights the vector list (see fuseRanks). */
  gate?: VectorGate;
  /** Candidates fetched from each list before fusion. (Default: max(50, 3 × limit)) */
  candidates?: number;
  /** Query embeddings kept in the LRU cache. (Default: 500) */
  cacheSize?: number;
  clock?: () => Date;
}

export interface FusedHit {
  id: string;
  explain: ScoreExplanation;
}

/**
 * Weighted, gated reciprocal rank fusion. Every text hit is kept at full weight. The vector list is gated by
 * how much its hits stand out from the rest of the candidates (z-score of the similarity within the list),
 * because raw similarities mean different things per model (USE lite puts unrelated sentences at 0.4, the hash
 * provider related ones at 0.2): only outliers (z ≥ zFloor) take part, and the list's weight grows from 0 to 1
 * as its best hit's z goes from zFloor to zFloor + zSpan. A list of near-equal neighbours — the model cannot
 * place the query — then barely moves the text ranking, while a confident one counts as much as text.
 */
export function fuseRanks(text: TextHit[], vector: VectorHit[], k: number, gate: VectorGate = {}): FusedHit[] {
  const zFloor = gate.zFloor ?? 1.5;
  const zSpan = gate.zSpan ?? 2;
  const sims = vector.map((h) => h.similarity);
  const mean = sims.reduce((a, b) => a + b, 0) / Math.max(1, sims.length);
  const sd = Math.sqrt(sims.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, sims.length));
  const z = (s: number): number => (sd > 1e-9 && sims.length >= 5 ? (s - mean) / sd : 0);
  const kept = vector.filter((h) => h.similarity >= (gate.minSimilarity ?? -1) && z(h.similarity) >= zFloor);
  const weight = kept[0]
    ? Math.min(1, Math.max(0, (z(Math.max(...kept.map((h) => h.similarity))) - zFloor) / zSpan))
    : 0;
  const hits = new Map<string, FusedHit>();
  const entry = (id: string): FusedHit => {
    let hit = hits.get(id);
    if (!hit) {
      hit = { id, explain: { textRank: null, textScore: null, similarity: null, fused: 0 } };
      hits.set(id, hit);
    }
    return hit;
  };
  text.forEach((h, i) => {
    const hit = entry(h.id);
    hit.explain.textRank = i + 1;
    hit.explain.textScore = h.rank;
    hit.explain.fused += 1 / (k + i + 1);
  });
  if (weight > 0) {
    kept.forEach((h, i) => {
      const hit = entry(h.id);
      hit.explain.similarity = h.similarity;
      hit.explain.fused += weight / (k + i + 1);
    });
  }
  // Similarities of gated-out hits still explain the text hits they belong to.
  for (const h of vector) {
    const hit = hits.get(h.id);
    if (hit && hit.explain.similarity === null) hit.explain.similarity = h.similarity;
  }
  const best = (1 + weight) / (k + 1);
  for (const hit of hits.values()) hit.explain.fused /= best;
  return [...hits.values()];
}

export interface VectorGate {
  /** Vector hits need a z-score within the candidate list at least this high. (Default: 1.5) */
  zFloor?: number;
  /** z above zFloor at which the vector list gets full weight. (Default: 2) */
  zSpan?: number;
  /** Absolute similarity floor on top of the z gate. (Default: none) */
  minSimilarity?: number;
}

/** A small LRU: Map keeps insertion order, so re-inserting on read makes the first key the least recent. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}

/** Hybrid, semantic and keyword search over reflections and messages. */
export class SearchService {
  private readonly k: number;
  private readonly cache: LruCache<Float32Array>;
  private readonly indexed = new Set<string>();
  private readonly clock: () => Date;

  constructor(
    private readonly store: Store,
    private readonly embedder: QueryEmbedder,
    private readonly options: SearchServiceOptions = {},
  ) {
    this.k = options.rrfK ?? 60;
    this.cache = new LruCache(options.cacheSize ?? 500);
    this.clock = options.clock ?? (() => new Date());
  }

  async searchReflections(principal: Principal, input: unknown): Promise<SearchResult<Reflection>> {
    const q = parseInput(reflectionSearchSchema, input);
    const filters: SearchFilters = {
      project: q.project,
      sessionId: q.sessionId,
      from: q.from,
      to: q.to,
      ...(q.tags?.length ? (q.tagsMode === 'all' ? { tagsAll: q.tags } : { tagsAny: q.tags }) : {}),
    };
    return this.search(principal.tenantId, 'reflection', q, filters, (ids) =>
      this.store.reflections.getMany(principal.tenantId, ids),
    );
  }

  async searchMessages(principal: Principal, input: unknown): Promise<SearchResult<Message>> {
    const q = parseInput(messageSearchSchema, input);
    const filters: SearchFilters = { project: q.project, sessionId: q.sessionId, from: q.from, to: q.to };
    return this.search(principal.tenantId, 'message', q, filters, async (ids) =>
      (await Promise.all(ids.map((id) => this.store.messages.get(principal.tenantId, id)))).filter(
        (m): m is Message => m !== undefined,
      ),
    );
  }

  /** The query's unit vector, from the LRU cache when the same text was embedded with the same model. */
  async embedQuery(text: string): Promise<Float32Array> {
    const key = `${this.embedder.model}\u0000${text}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const [vector] = await this.embedder.embed([text]);
    if (!vector) throw new Error('embedding provider returned no vector');
    this.cache.set(key, vector);
    return vector;
  }

  private async search<T extends { id: string; createdAt: string }>(
    tenantId: string,
    kind: SearchKind,
    q: z.output<typeof messageSearchSchema>,
    filters: SearchFilters,
    load: (ids: string[]) => Promise<T[]>,
  ): Promise<SearchResult<T>> {
    const pool = this.options.candidates ?? Math.max(50, 3 * q.limit);
    let vector: VectorHit[] = [];
    let degraded: string | undefined;
    let model: string | null = null;
    if (q.mode !== 'keyword') {
      try {
        const queryVector = await this.embedQuery(q.q);
        await this.ensureIndex(this.embedder.model, queryVector.length);
        vector = await this.store.reflections.vectorSearch(
          kind,
          tenantId,
          queryVector,
          this.embedder.model,
          filters,
          pool,
        );
        model = this.embedder.model;
      } catch (error) {
        // Degrade, never fail: full-text ranking still answers while the provider is down.
        degraded = `vector search unavailable: ${(error as Error).message}`;
      }
    }
    const mode: SearchMode = q.mode === 'semantic' && degraded ? 'keyword' : q.mode;
    const text = mode === 'semantic' ? [] : await this.store.reflections.textSearch(kind, tenantId, q.q, filters, pool);
    const fused = this.score(mode, text, vector);
    const now = this.clock().getTime();
    const items = await load(fused.map((h) => h.id));
    const byId = new Map(items.map((item) => [item.id, item]));
    const hits: Array<SearchHit<T>> = [];
    for (const h of fused) {
      const item = byId.get(h.id);
      if (!item) continue;
      let score = h.explain.fused;
      if (q.halfLifeDays !== undefined) {
        const ageDays = Math.max(0, now - Date.parse(item.createdAt)) / 86_400_000;
        h.explain.recency = 0.5 ** (ageDays / q.halfLifeDays);
        score *= h.explain.recency;
      }
      if (score >= q.minScore) hits.push({ item, score, explain: h.explain });
    }
    hits.sort((a, b) => b.score - a.score || a.item.id.localeCompare(b.item.id));
    return { items: hits.slice(0, q.limit), mode, model, ...(degraded ? { degraded } : {}) };
  }

  private score(mode: SearchMode, text: TextHit[], vector: VectorHit[]): FusedHit[] {
    if (mode === 'hybrid') return fuseRanks(text, vector, this.k, this.options.gate);
    if (mode === 'semantic') {
      return vector.map((h) => ({
        id: h.id,
        explain: { textRank: null, textScore: null, similarity: h.similarity, fused: Math.max(0, h.similarity) },
      }));
    }
    const top = text[0]?.rank ?? 0;
    return text.map((h, i) => ({
      id: h.id,
      explain: { textRank: i + 1, textScore: h.rank, similarity: null, fused: top > 0 ? h.rank / top : 0 },
    }));
  }

  private async ensureIndex(model: string, dim: number): Promise<void> {
    const key = `${model}\u0000${dim}`;
    if (this.indexed.has(key)) return;
    try {
      await this.store.reflections.ensureVectorIndex(model, dim);
    } catch {
      // Without the index search is exact and slower, not wrong: never fail a search over it.
    }
    this.indexed.add(key);
  }
}
