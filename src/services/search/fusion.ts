import type { ScoreExplanation } from '../../domain/search.model.js';
import type { TextHit, VectorHit } from '../../repositories/ports.js';

export interface FusedHit {
  id: string;
  explain: ScoreExplanation;
  /** The full-text part of `explain.fused` (hybrid), on the same scale. */
  textPart?: number;
}

export interface VectorGate {
  /** Vector hits count from this z-score of their similarity within the candidate list. (Default: 0.5) */
  zFloor?: number;
  /** z above zFloor at which a vector hit gets its full weight. (Default: 2) */
  zSpan?: number;
  /** Weight of a vector hit at full strength, against 1 for the best text hit. (Default: 0.6) */
  weight?: number;
  /** Absolute similarity floor on top of the other gates. (Default: none) */
  minSimilarity?: number;
  /**
   * A vector hit is credible when its similarity is at least this share of the best hit's: what hybrid returns
   * when the text list is empty, and what a list too short for statistics (under 5 hits) contributes. (Default: 0.8)
   */
  relativeFloor?: number;
  /**
   * How much the keyword half is trusted, from the share of the query's weight its best hit holds
   * (TextHit.coverage): below `low` the text scores count `floor` of their weight, from `high` all of it, linearly
   * between. A question whose best keyword hit shares only a minor word with it (a paraphrase) then leaves the order
   * to the vectors. Applies only beside a vector list long enough for statistics. (Default: low 0.15, high 0.3,
   * floor 0.4)
   */
  textConfidence?: { low: number; high: number; floor: number };
}

/**
 * Measured on the labelled set (lite, hit@5/hit@10, replaying the fusion over the stores' candidate lists of 50):
 * before, hybrid 0.632/0.721 and on paraphrase questions 0.143/0.198 against semantic's 0.110/0.231. With the keyword
 * half weighed by coverage (low 0.15, high 0.3, floor 0.4) and vector weight 0.6: 0.629/0.741 and 0.132/0.275. Its
 * neighbours (low 0.15–0.2, high 0.25–0.3, floor 0.4) gave 0.629–0.632/0.741; vector weight 0.5 at best 0.627/0.736.
 * The best keyword hit of a paraphrase question holds 0.10–0.25 of its weight (10th–90th percentile), of the other
 * questions 0.24–0.84.
 */
const TEXT_CONFIDENCE = { low: 0.15, high: 0.3, floor: 0.4 };
const VECTOR_WEIGHT = 0.6;

/** Below this many vector candidates a z-score means nothing: the relative floor decides instead. */
const MIN_LIST_FOR_Z = 5;
/** Strength of a short vector list's credible hits (no statistics to tell how much they stand out). */
const SHORT_LIST_STRENGTH = 0.5;

/** The share of its weight the keyword half keeps (see VectorGate.textConfidence); 1 when no hit has a coverage. */
export function textConfidence(text: TextHit[], confidence = TEXT_CONFIDENCE): number {
  const coverages = text.flatMap((h) => (h.coverage === undefined ? [] : [h.coverage]));
  if (coverages.length === 0) return 1;
  const { low, high, floor } = confidence;
  return Math.min(1, Math.max(floor, (Math.max(...coverages) - low) / Math.max(1e-9, high - low)));
}

/**
 * Hybrid score fusion, measured against rank fusion on the labelled set of `npm run bench -- retrieval`
 * (docs/search.md). Each item scores its text score relative to the best text hit (BM25, 0..1; times the keyword
 * half's confidence, see textConfidence) plus the weighted
 * strength of its vector hit. Raw similarities mean different things per model (USE lite puts unrelated sentences
 * at 0.4, the hash provider related ones at 0.2), so a vector hit's strength is how much it stands out from the
 * other candidates: its similarity's z-score within the list, from 0 at `zFloor` to 1 at `zFloor + zSpan`. A list of
 * near-equal neighbours (the model cannot place the query) then adds little, and nothing below the floor.
 *
 * Hybrid is never empty when a half has a credible hit: with no text hit at all, the answer is the vector hits
 * within `relativeFloor` of the best one, in similarity order (the semantic answer, less its weak tail). A vector
 * list too short for a z-score (a new project) adds those credible hits at half strength. `fused` is normalised
 * so an item that is best in both lists scores 1.
 */
export function fuseLists(text: TextHit[], vector: VectorHit[], gate: VectorGate = {}): FusedHit[] {
  const zFloor = gate.zFloor ?? 0.5;
  const zSpan = gate.zSpan ?? 2;
  const weight = gate.weight ?? VECTOR_WEIGHT;
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
  const strength = (s: number): number =>
    sd > 1e-9 && s >= minSimilarity ? Math.min(1, Math.max(0, ((s - mean) / sd - zFloor) / zSpan)) : 0;
  const hits = new Map<string, FusedHit>();
  const entry = (id: string): FusedHit => {
    let hit = hits.get(id);
    if (!hit) {
      hit = { id, explain: { textRank: null, textScore: null, similarity: null, fused: 0 } };
      hits.set(id, hit);
    }
    return hit;
  };
  const best = Math.max(...text.map((h) => h.rank));
  const shortList = sims.length < MIN_LIST_FOR_Z;
  const trust = shortList ? 1 : textConfidence(text, gate.textConfidence);
  text.forEach((h, i) => {
    const hit = entry(h.id);
    hit.explain.textRank = i + 1;
    hit.explain.textScore = h.rank;
    hit.textPart = best > 0 ? (trust * h.rank) / best : 0;
    hit.explain.fused += hit.textPart;
  });
  for (const h of shortList ? credible : vector) {
    const g = shortList ? SHORT_LIST_STRENGTH : strength(h.similarity);
    if (g <= 0) continue;
    const hit = entry(h.id);
    hit.explain.similarity = h.similarity;
    hit.explain.fused += weight * g;
  }
  // Similarities of gated-out hits still explain the text hits they belong to.
  for (const h of vector) {
    const hit = hits.get(h.id);
    if (hit && hit.explain.similarity === null) hit.explain.similarity = h.similarity;
  }
  for (const hit of hits.values()) {
    hit.explain.fused /= 1 + weight;
    if (hit.textPart !== undefined) hit.textPart /= 1 + weight;
  }
  return [...hits.values()];
}

/**
 * A hit passes context on only when its full-text score is at least this share of the best one: a question that
 * matched on a word common in the project ("Caroline: Cool! What did it look like?") must not lift its answer.
 */
export const QUESTION_FLOOR = 0.6;

/** The hits strong enough by words to pass context to the turn after them (see withNextTurns). */
export function contextSources(fused: FusedHit[]): string[] {
  const best = Math.max(0, ...fused.map((h) => h.textPart ?? 0));
  return best > 0 ? fused.filter((h) => (h.textPart ?? 0) >= QUESTION_FLOOR * best).map((h) => h.id) : [];
}

/** Share of a message's full-text score passed on to the message that follows it in its session (the answer to it). */
export const NEXT_TURN_SHARE = 1;

/**
 * Conversation context for message hits: a message also scores NEXT_TURN_SHARE of the full-text score of the message
 * before it in its session, because developers search in words close to their own earlier question and the answer is the
 * turn after it. `following` maps a hit's id to the message after it (the caller picks which hits pass: user
 * questions matched by words, answers within the search's filters); answers found this way join the list. Scores
 * are renormalised so the best stays at most 1.
 */
export function withNextTurns(fused: FusedHit[], following: Map<string, string>): FusedHit[] {
  const byId = new Map(fused.map((h) => [h.id, h]));
  const gained = new Map<string, number>();
  for (const h of fused) {
    const next = following.get(h.id);
    if (next && h.textPart) gained.set(next, (gained.get(next) ?? 0) + NEXT_TURN_SHARE * h.textPart);
  }
  for (const [id, context] of gained) {
    const hit = byId.get(id) ?? { id, explain: { textRank: null, textScore: null, similarity: null, fused: 0 } };
    hit.explain.context = context;
    hit.explain.fused += context;
    byId.set(id, hit);
  }
  const out = [...byId.values()];
  const top = Math.max(1, ...out.map((h) => h.explain.fused));
  for (const h of out) h.explain.fused /= top;
  return out;
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
