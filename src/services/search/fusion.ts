import type { ScoreExplanation } from '../../domain/search.model.js';
import type { TextHit, VectorHit } from '../../repositories/ports.js';

export interface FusedHit {
  id: string;
  explain: ScoreExplanation;
}

export interface VectorGate {
  /** Vector hits need a z-score within the candidate list at least this high. (Default: 1.5) */
  zFloor?: number;
  /** z above zFloor at which the vector list gets full weight. (Default: 2) */
  zSpan?: number;
  /** Absolute similarity floor on top of the other gates. (Default: none) */
  minSimilarity?: number;
  /**
   * A vector hit is credible when its similarity is at least this share of the best hit's: what hybrid returns
   * when the text list is empty, and what a list too short for statistics (under 5 hits) contributes. (Default: 0.8)
   */
  relativeFloor?: number;
}

/** Below this many vector candidates a z-score means nothing: the relative floor decides instead. */
const MIN_LIST_FOR_Z = 5;
/** Weight of a short vector list's credible hits (no statistics to tell how much they stand out). */
const SHORT_LIST_WEIGHT = 0.5;

/**
 * Weighted, gated reciprocal rank fusion. Every text hit is kept at full weight. The vector list is gated by
 * how much its hits stand out from the rest of the candidates (z-score of the similarity within the list),
 * because raw similarities mean different things per model (USE lite puts unrelated sentences at 0.4, the hash
 * provider related ones at 0.2): only outliers (z ≥ zFloor) take part, and the list's weight grows from 0 to 1
 * as its best hit's z goes from zFloor to zFloor + zSpan. A list of near-equal neighbours — the model cannot
 * place the query — then barely moves the text ranking, while a confident one counts as much as text.
 *
 * Hybrid is never empty when a half has a credible hit: with no text hit at all, the answer is the vector hits
 * within `relativeFloor` of the best one, in similarity order (the semantic answer, less its weak tail). A vector
 * list too short for a z-score (a new project) contributes those credible hits at half weight.
 */
export function fuseRanks(text: TextHit[], vector: VectorHit[], k: number, gate: VectorGate = {}): FusedHit[] {
  const zFloor = gate.zFloor ?? 1.5;
  const zSpan = gate.zSpan ?? 2;
  const minSimilarity = gate.minSimilarity ?? -1;
  const sims = vector.map((h) => h.similarity);
  const top = sims.length ? Math.max(...sims) : 0;
  const credible =
    top > 0
      ? vector.filter((h) => h.similarity >= minSimilarity && h.similarity >= top * (gate.relativeFloor ?? 0.8))
      : [];
  if (text.length === 0) {
    return credible.map((h) => ({
      id: h.id,
      explain: { textRank: null, textScore: null, similarity: h.similarity, fused: h.similarity / top },
    }));
  }
  const mean = sims.reduce((a, b) => a + b, 0) / Math.max(1, sims.length);
  const sd = Math.sqrt(sims.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, sims.length));
  const z = (s: number): number => (sd > 1e-9 ? (s - mean) / sd : 0);
  let kept: VectorHit[];
  let weight: number;
  if (sims.length < MIN_LIST_FOR_Z) {
    kept = credible;
    weight = kept.length ? SHORT_LIST_WEIGHT : 0;
  } else {
    kept = vector.filter((h) => h.similarity >= minSimilarity && z(h.similarity) >= zFloor);
    weight = kept[0] ? Math.min(1, Math.max(0, (z(Math.max(...kept.map((h) => h.similarity))) - zFloor) / zSpan)) : 0;
  }
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
