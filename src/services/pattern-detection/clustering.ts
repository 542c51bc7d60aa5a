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

/**
 * Greedy leader clustering of unit vectors, in the order given: each vector joins the cluster whose leader (its
 * first member) is most similar, if that similarity reaches `threshold`, else it leads a new cluster. One pass,
 * O(n × clusters); the same input order always gives the same clusters. Returns member indices per cluster.
 */
export function leaderClusters(vectors: Float32Array[], threshold: number): number[][] {
  const leaders: Float32Array[] = [];
  const clusters: number[][] = [];
  vectors.forEach((vector, index) => {
    let best = -1;
    let bestSimilarity = threshold;
    for (let c = 0; c < leaders.length; c++) {
      const similarity = dot(vector, leaders[c] as Float32Array);
      if (similarity >= bestSimilarity) {
        best = c;
        bestSimilarity = similarity;
      }
    }
    if (best >= 0) clusters[best]?.push(index);
    else {
      leaders.push(vector);
      clusters.push([index]);
    }
  });
  return clusters;
}

/** The normalised mean of unit vectors. */
export function centroid(vectors: Float32Array[]): Float32Array {
  return weightedMean(
    vectors,
    vectors.map(() => 1),
  );
}

// Words that say nothing about a theme.
const STOPWORDS = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between
  both but by can could did do does doing done down during each else even few for from further get got had has
  have having he her here hers him his how i if in into is it its itself just let like may me might more most
  much must my no nor not now of off on once only or other our ours out over own per please same shall she
  should so some such than that the their theirs them then there these they this those through to too under
  until up upon us use used using very want was we were what when where which while who whom why will with
  would yes yet you your yours ok okay thanks thank sure one two new make need see think know way also well
  still really`.split(/\s+/),
);
const WORD = /\p{L}[\p{L}\p{N}_-]{2,}/gu;

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
