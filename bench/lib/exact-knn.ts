/**
 * Ground truth for recall: exact cosine top-k by brute force over the very vectors the stores hold,
 * restricted to the rows that pass the same filter.
 */

export interface ExactTopK {
  /** Row indexes of the k most similar vectors, most similar first. */
  indexes: number[];
  /** Their cosine similarities. */
  similarities: number[];
}

export function cosineAt(vectors: Float32Array, dim: number, index: number, query: Float32Array): number {
  let dot = 0;
  let a = 0;
  let b = 0;
  const base = index * dim;
  for (let j = 0; j < dim; j++) {
    const x = vectors[base + j] as number;
    const y = query[j] as number;
    dot += x * y;
    a += x * x;
    b += y * y;
  }
  return a === 0 || b === 0 ? 0 : dot / Math.sqrt(a * b);
}

/** `rows` limits the scan to those row indexes (a filter); undefined scans every row. */
export function exactTopK(
  vectors: Float32Array,
  dim: number,
  query: Float32Array,
  k: number,
  rows?: ArrayLike<number>,
): ExactTopK {
  const count = rows ? rows.length : vectors.length / dim;
  // A small sorted buffer beats sorting every similarity when k ≪ rows.
  const best: Array<{ index: number; sim: number }> = [];
  for (let r = 0; r < count; r++) {
    const index = rows ? (rows[r] as number) : r;
    const sim = cosineAt(vectors, dim, index, query);
    if (best.length === k && sim <= (best[k - 1] as { sim: number }).sim) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as { sim: number }).sim < sim) at--;
    best.splice(at, 0, { index, sim });
    if (best.length > k) best.pop();
  }
  return { indexes: best.map((b) => b.index), similarities: best.map((b) => b.sim) };
}

/**
 * Recall@k of `returned` (row indexes, best first) against the exact answer, tie-aware: a returned row
 * counts when its true similarity reaches the exact k-th similarity (minus a float tolerance), because
 * templated texts often tie and any of the tied rows is a correct answer.
 */
export function recallAtK(
  vectors: Float32Array,
  dim: number,
  query: Float32Array,
  exact: ExactTopK,
  returned: number[],
  k: number,
): number {
  const wanted = Math.min(k, exact.indexes.length);
  if (wanted === 0) return 1;
  const kth = exact.similarities[wanted - 1] as number;
  let hits = 0;
  for (const index of new Set(returned.slice(0, k))) {
    if (cosineAt(vectors, dim, index, query) >= kth - 1e-5) hits++;
  }
  return Math.min(1, hits / wanted);
}
