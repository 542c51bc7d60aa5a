/** Scales `vector` to unit length in place; a zero vector stays zero. Returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const x of vector) sum += x * x;
  if (sum > 0) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) * scale;
  }
  return vector;
}

/** Weighted mean of equally long vectors, normalised. */
export function weightedMean(vectors: Float32Array[], weights: number[]): Float32Array {
  const first = vectors[0];
  if (!first) throw new Error('weightedMean of no vectors');
  const mean = new Float32Array(first.length);
  vectors.forEach((vector, k) => {
    const weight = weights[k] ?? 1;
    for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + (vector[i] as number) * weight;
  });
  return normalize(mean);
}

/** Cosine similarity of two equally long vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
