/** Vector and search types shared by the message and reflection repositories. */

export interface StoredVector {
  ownerId: string;
  tenantId: string;
  model: string;
  vector: Float32Array;
  createdAt: string;
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

/** A full-text hit; higher rank is better (ts_rank_cd, or -bm25 on SQLite). Best first. */
export interface TextHit {
  id: string;
  rank: number;
}

/** A k-NN hit with its cosine similarity (1 = same direction). Best first. */
export interface VectorHit {
  id: string;
  similarity: number;
}
