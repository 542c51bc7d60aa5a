import type { Pattern, PatternEvidence, PatternKind, PatternSource } from '../domain/pattern.model.js';

/** A pattern stored by hand: source, fingerprint and evidence belong to detection. */
export type NewPattern = Omit<Pattern, 'source' | 'fingerprint' | 'evidence' | 'updatedAt'>;

/** What a detection run writes for one pattern, new or re-detected. */
export interface DetectedPatternFields {
  name: string;
  description: string;
  kind: PatternKind;
  examples: string[];
  tags: string[];
  evidence: PatternEvidence;
  /** Cluster centroid (unit length) and the model that made it; null for error signatures. */
  centroid: { model: string; vector: Float32Array } | null;
}

export interface DetectedPatternTarget {
  tenantId: string;
  project: string | null;
  fingerprint: string;
  /** An existing detected pattern matched by centroid similarity; updated in place when it still exists. */
  id?: string;
  /** Id for a new row. */
  newId: string;
  now: string;
}

export interface PatternFilters {
  /** Exact project; undefined: any project, tenant-wide patterns included. */
  project?: string;
  kind?: PatternKind;
  source?: PatternSource;
  tagsAny?: string[];
  tagsAll?: string[];
}

export interface CreatedPattern {
  pattern: Pattern;
  /** False when a pattern with the same name (case and whitespace aside) exists in this tenant and project. */
  created: boolean;
}

/** A stored vector of the active model with what detection needs of its owner. */
export interface VectorItem {
  type: 'message' | 'reflection';
  id: string;
  sessionId: string | null;
  createdAt: string;
  /** The owner's text, truncated. */
  text: string;
  vector: Float32Array;
}

export interface ErrorCandidate {
  id: string;
  sessionId: string;
  createdAt: string;
  /** Message content, truncated. */
  content: string;
}

export interface DetectionScope {
  project: string | null;
  /** Only items created at or after this. */
  since?: string;
  limit: number;
}

/** One detection run: a tenant, a project (null: the whole tenant) and a time bucket (see detectionBucket). */
export interface DetectionRun {
  tenantId: string;
  project: string | null;
  bucket: string;
  now: string;
}

export interface StoredCentroid {
  id: string;
  fingerprint: string;
  vector: Float32Array;
}

export interface PatternRepository {
  /** Stores a manual pattern; a name already used in this tenant and project returns that pattern, created:false. */
  create(input: NewPattern): Promise<CreatedPattern>;
  get(tenantId: string, id: string): Promise<Pattern | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /** Newest first; `after` is the (createdAt, id) of the last row of the previous page. */
  list(
    tenantId: string,
    filters: PatternFilters,
    limit: number,
    after?: { createdAt: string; id: string },
  ): Promise<Pattern[]>;
  /** Full-text search over name, description and examples (english / porter stems), best first. */
  search(tenantId: string, query: string, filters: PatternFilters, limit: number, offset: number): Promise<Pattern[]>;
  /**
   * Inserts or updates one detected pattern in a transaction: the row is `target.id` when it still exists, else
   * the row with the same fingerprint, else a new one. `build` gets the current row (undefined when inserting)
   * and returns the fields to write, so evidence can be merged under the row lock.
   */
  saveDetected(
    target: DetectedPatternTarget,
    build: (current: Pattern | undefined) => DetectedPatternFields,
  ): Promise<CreatedPattern>;
  /** Centroids of detected cluster patterns of this scope and model, most recently updated first. */
  detectedCentroids(tenantId: string, project: string | null, model: string, limit: number): Promise<StoredCentroid[]>;
  /**
   * Most recent message (user and assistant, at least `minChars` long) and reflection vectors of `model`,
   * newest first, at most `scope.limit` in all. Project: the session's for messages, the reflection's own.
   */
  recentVectors(tenantId: string, model: string, scope: DetectionScope, minChars: number): Promise<VectorItem[]>;
  /** Most recent messages whose content looks like it holds an error line, newest first, content truncated. */
  recentErrorMessages(tenantId: string, scope: DetectionScope, maxChars: number): Promise<ErrorCandidate[]>;
  /** Tenants with messages or reflections created at or after `since` (the periodic trigger's work list). */
  activeTenants(since: string, limit: number): Promise<string[]>;
  /**
   * Claims a detection run (INSERT … ON CONFLICT): true when it may run now — it never ran, or it was claimed but
   * never finished (it failed, or its worker died: taken over) — false when it already finished.
   */
  claimDetectionRun(run: DetectionRun): Promise<boolean>;
  /** Marks a claimed run finished, with how many patterns it found; forgets the tenant's runs started before `pruneBefore`. */
  finishDetectionRun(run: DetectionRun, patterns: number, pruneBefore: string): Promise<void>;
}
