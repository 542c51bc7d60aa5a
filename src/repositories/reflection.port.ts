import type { Reflection } from '../domain/reflection.model.js';
import type { ReflectionVector, SearchFilters, SearchKind, TextHit, VectorHit } from './search.port.js';

export type NewReflection = Omit<Reflection, 'updatedAt'>;

export interface ReflectionChange {
  /** With its new hash; changing content drops the stored vectors (they describe the old text). */
  content?: { text: string; hash: string };
  tags?: string[];
  importance?: number;
  metadata?: Record<string, unknown>;
  updatedAt: string;
}

export interface ReflectionListQuery extends SearchFilters {
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset position: createdAt and id of the last item of the previous page. */
  after?: { createdAt: string; id: string };
}

export interface ReflectionStats {
  total: number;
  byTag: Record<string, number>;
  byProject: Record<string, number>;
  /** Newest first, at most 90 days that have reflections; period is YYYY-MM-DD (UTC). */
  byDay: Array<{ period: string; count: number }>;
  /** Newest first, at most 52 weeks; period is the Monday (UTC) starting the week. */
  byWeek: Array<{ period: string; count: number }>;
  /** Reflections with a vector, per model. */
  embeddings: Record<string, number>;
}

export interface CreatedReflection {
  reflection: Reflection;
  /** False when a reflection with the same normalised content already existed in this tenant and project. */
  created: boolean;
}

export interface ReflectionRepository {
  /**
   * Stores a reflection; an exact duplicate (same tenant, project and content hash) is not stored again:
   * the existing one is returned with created:false and no follow-up is queued (see WriteFollowUps).
   */
  create(input: NewReflection): Promise<CreatedReflection>;
  get(tenantId: string, id: string): Promise<Reflection | undefined>;
  /** The reflections among `ids` in this tenant, in no particular order. */
  getMany(tenantId: string, ids: string[]): Promise<Reflection[]>;
  /**
   * Reads under a lock, lets `decide` compute the change, writes it. Content that would duplicate another
   * reflection of the same tenant and project throws ConflictError. When the content changes its vectors are
   * deleted and its follow-ups (WriteFollowUps.reflectionWritten) are queued in the same transaction.
   */
  update(
    tenantId: string,
    id: string,
    decide: (current: Reflection) => ReflectionChange,
  ): Promise<Reflection | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  list(tenantId: string, query: ReflectionListQuery): Promise<Reflection[]>;
  stats(tenantId: string, project?: string): Promise<ReflectionStats>;
  /**
   * Saves reflection vectors; one per reflection and model, the first kept. A vector is skipped when its reflection
   * was deleted or re-worded since its content was read (its contentHash no longer the reflection's): the re-wording
   * queued its own embed job, and a vector of the old text must never stand for the new one.
   */
  saveVectors(vectors: ReflectionVector[]): Promise<number>;
  /** Ids among `ids` that have a vector of `model`. */
  withVector(ids: string[], model: string): Promise<Set<string>>;
  /** The stored vector of `model` of one reflection of the tenant, if it has one (it matches the current content). */
  getVector(tenantId: string, id: string, model: string): Promise<Float32Array | undefined>;
  /**
   * Reflections written (created or edited) in [from, to) with no vector of `model`, no `jobName` job for them
   * waiting in the outbox and no open or discarded `jobName` dead letter (`payload.reflectionId`), oldest first:
   * the reconciler queues them again.
   */
  missingVector(
    model: string,
    window: { from: string; to: string },
    jobName: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string; contentHash: string }>>;
  /** Full-text search over reflections or messages of a tenant, stemmed (english / porter). */
  textSearch(
    kind: SearchKind,
    tenantId: string,
    query: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<TextHit[]>;
  /** k nearest reflection vectors of `model` by cosine distance, filtered in the query (messages: EmbeddingRepository). */
  vectorSearch(
    kind: 'reflection',
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]>;
  /** Makes sure an ANN index exists for vectors of `model` (PostgreSQL HNSW; a no-op where search is exact). */
  ensureVectorIndex(model: string, dim: number): Promise<void>;
  /**
   * Ids of reflections or messages whose content mentions `path` as a path (see pathMentionPattern in
   * domain/search.model.ts), newest first. A substring scan: full-text tokenizers split paths into words.
   */
  pathMentions(
    kind: SearchKind,
    tenantId: string,
    path: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<string[]>;
}
