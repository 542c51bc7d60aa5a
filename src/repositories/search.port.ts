/** Vector and search types shared by the message and reflection repositories. */

export interface StoredVector {
  ownerId: string;
  tenantId: string;
  model: string;
  vector: Float32Array;
  createdAt: string;
}

/** A reflection's vector, with the hash of the content it was computed from (reflections can be re-worded). */
export interface ReflectionVector extends StoredVector {
  contentHash: string;
}

/** Filters applied inside the search and list queries, before any LIMIT. */
export interface SearchFilters {
  project?: string;
  sessionId?: string;
  /** Reflections only (messages have no tags): at least one of these tags. */
  tagsAny?: string[];
  /** Reflections only: every one of these tags. */
  tagsAll?: string[];
  /** created_at >= from */
  from?: string;
  /** created_at < to */
  to?: string;
}

export type SearchKind = 'reflection' | 'message';

/** A full-text hit; higher rank is better (BM25 on both stores). Best first. */
export interface TextHit {
  id: string;
  rank: number;
  /**
   * The share of the query's weight the hit holds: the idf (within the search scope) of the query's words the hit
   * contains, over the idf of all of them, a word absent from the scope counting as the rarest. 1 when it holds every
   * word; a hit sharing only a common word with a long question stays near 0. Hybrid weighs its keyword half by the
   * best hit's (see textConfidence). Set on every hit, except SQLite's search across a whole tenant (no project or
   * session filter), where only the best hit carries it.
   */
  coverage?: number;
}

/** A k-NN hit with its cosine similarity (1 = same direction). Best first. */
export interface VectorHit {
  id: string;
  similarity: number;
}
