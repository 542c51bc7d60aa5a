import { normalize, weightedMean } from '../../embeddings/vector-math.js';

/** Dot product; equals cosine similarity for unit vectors. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** A unit-length copy (stored vectors are not all normalised, and the caller's arrays stay untouched). */
export function unit(vector: Float32Array): Float32Array {
  return normalize(Float32Array.from(vector));
}

export interface LeaderOptions {
  /** Leaders (clusters) at most; once reached, a vector that joins no cluster is dropped as noise. (Default: no cap) */
  maxClusters?: number;
}

// Work between two yields to the event loop: multiply-adds (a few milliseconds), or items, whichever comes first.
const WORK_PER_SLICE = 4_000_000;
const ITEMS_PER_SLICE = 256;

/** Lets timers, I/O and other requests run between slices of CPU-bound work (lite mode shares one event loop). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Greedy leader clustering of unit vectors, in the order given: each vector joins the cluster whose leader (its
 * first member) is most similar, if that similarity reaches `threshold`, else it leads a new cluster — while there
 * are fewer than `maxClusters`; after that it is dropped (a singleton is no pattern anyway). One pass,
 * O(n × clusters × dim), yielding to the event loop every few milliseconds of work; the same input order always
 * gives the same clusters. Vectors whose length differs from the first one's are dropped. Returns member indices
 * per cluster.
 */
export async function leaderClusters(
  vectors: Float32Array[],
  threshold: number,
  options: LeaderOptions = {},
): Promise<number[][]> {
  const dim = vectors[0]?.length ?? 0;
  const maxClusters = options.maxClusters ?? Number.POSITIVE_INFINITY;
  // Leaders side by side in one contiguous matrix (row c at c × dim), grown by doubling.
  let leaders = new Float32Array(dim * Math.min(maxClusters, 64));
  const clusters: number[][] = [];
  let work = 0;
  let items = 0;
  for (let index = 0; index < vectors.length; index++) {
    const vector = vectors[index] as Float32Array;
    if (vector.length !== dim) continue;
    let best = -1;
    let bestSimilarity = threshold;
    for (let c = 0, row = 0; c < clusters.length; c++, row += dim) {
      const similarity = dotAt(vector, leaders, row, dim);
      if (similarity >= bestSimilarity) {
        best = c;
        bestSimilarity = similarity;
      }
    }
    if (best >= 0) clusters[best]?.push(index);
    else if (clusters.length < maxClusters) {
      if ((clusters.length + 1) * dim > leaders.length) {
        const grown = new Float32Array(Math.min(leaders.length * 2, maxClusters * dim));
        grown.set(leaders);
        leaders = grown;
      }
      leaders.set(vector, clusters.length * dim);
      clusters.push([index]);
    }
    work += (clusters.length + 1) * dim;
    if (work >= WORK_PER_SLICE || ++items >= ITEMS_PER_SLICE) {
      work = 0;
      items = 0;
      await yieldToEventLoop();
    }
  }
  return clusters;
}

/** `vector` · leaders[row … row + dim), four lanes at a time (the hot loop of clustering). */
function dotAt(vector: Float32Array, leaders: Float32Array, row: number, dim: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    a += (vector[i] as number) * (leaders[row + i] as number);
    b += (vector[i + 1] as number) * (leaders[row + i + 1] as number);
    c += (vector[i + 2] as number) * (leaders[row + i + 2] as number);
    d += (vector[i + 3] as number) * (leaders[row + i + 3] as number);
  }
  for (; i < dim; i++) a += (vector[i] as number) * (leaders[row + i] as number);
  return a + b + c + d;
}

/** The normalised mean of unit vectors. */
export function centroid(vectors: Float32Array[]): Float32Array {
  return weightedMean(
    vectors,
    vectors.map(() => 1),
  );
}

// Words that say nothing about a theme.
export const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between
  both but by can could did do does doing done down during each else even few for from further get got had has
  have having he her here hers him his how i if in into is it its itself just let like may me might more most
  much must my no nor not now of off on once only or other our ours out over own per please same shall she
  should so some such than that the their theirs them then there these they this those through to too under
  until up upon us use used using very want was we were what when where which while who whom why will with
  would yes yet you your yours ok okay thanks thank sure one two new make need see think know way also well
  still really`.split(/\s+/),
);
export const WORD = /\p{L}[\p{L}\p{N}_-]{2,}/gu;

/** The `n` words found in the most texts (ties: alphabetical), stopwords and words under three letters aside. */
export function topTerms(texts: string[], n: number): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const words = new Set((text.toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w)));
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([w]) => w.slice(0, 64));
}
