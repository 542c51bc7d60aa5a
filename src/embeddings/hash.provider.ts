import type { EmbeddingProvider } from './embedding.port.js';
import { normalize } from './vector-math.js';

/** (Default: 256) */
export const DEFAULT_HASH_DIMENSION = 256;

/**
 * Feature hashing of word unigrams and bigrams with signed buckets, L2-normalised.
 *
 * NOT semantic: texts are close only when they share words ("car" and "automobile" are unrelated).
 * Deterministic, dependency-free and fast, which makes it right for tests, benchmarks of the job
 * path and tiny hosts — and wrong for anyone expecting meaning-based search.
 */
export class HashEmbeddingProvider implements EmbeddingProvider {
  readonly model: string;
  readonly dimension: number;

  constructor(options: { dimension?: number } = {}) {
    this.dimension = options.dimension ?? DEFAULT_HASH_DIMENSION;
    if (!Number.isInteger(this.dimension) || this.dimension < 2) {
      throw new Error(`hash embedding dimension must be an integer >= 2, got ${this.dimension}`);
    }
    this.model = `hash-${this.dimension}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => hashEmbed(text, this.dimension));
  }

  async close(): Promise<void> {}
}

const TOKEN = /[\p{L}\p{N}]+/gu;
// Texts without a single word still get a unit vector, so cosine distances stay defined.
const NO_TOKENS = '\u0000empty';

export function hashEmbed(text: string, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  const tokens = text.toLowerCase().match(TOKEN) ?? [];
  const add = (feature: string): void => {
    const h = hash32(feature);
    const index = h % dimension;
    vector[index] = (vector[index] as number) + (h & 0x80000000 ? -1 : 1);
  };
  if (tokens.length === 0) add(NO_TOKENS);
  for (let i = 0; i < tokens.length; i++) {
    add(tokens[i] as string);
    if (i > 0) add(`${tokens[i - 1]}\u0001${tokens[i]}`);
  }
  return normalize(vector);
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so high and low bits are independent. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
