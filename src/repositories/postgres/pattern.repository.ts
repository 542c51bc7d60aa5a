import type { JSONValue } from 'postgres';
import { ConflictError } from '../../core/errors.js';
import { type Pattern, type PatternEvidence, patternNameKey } from '../../domain/pattern.model.js';
import type {
  CreatedPattern,
  DetectedPatternFields,
  DetectedPatternTarget,
  DetectionRun,
  DetectionScope,
  ErrorCandidate,
  NewPattern,
  PatternFilters,
  PatternRepository,
  StoredCentroid,
  VectorItem,
} from '../pattern.port.js';
import { queryWords } from '../query-words.js';
import { tagFilters } from './search.queries.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

interface PatternRow {
  id: string;
  tenant_id: string;
  project: string;
  name: string;
  description: string;
  kind: Pattern['kind'];
  examples: string[];
  tags: string[];
  source: Pattern['source'];
  fingerprint: string | null;
  evidence: PatternEvidence | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

function toPattern(row: PatternRow): Pattern {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project === '' ? null : row.project,
    name: row.name,
    description: row.description,
    kind: row.kind,
    examples: row.examples,
    tags: row.tags,
    source: row.source,
    fingerprint: row.fingerprint,
    evidence: row.evidence,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

// The same pre-filter as SQLite's: cheap, case-insensitive, then error-signature.ts decides line by line.
const ERROR_HINT =
  '(error|exception|traceback|econn|enoent|eacces|etimedout|eaddrinuse|fail|exit (code|status)|fatal|panic)';

export class PostgresPatternRepository implements PatternRepository {
  // Never `SELECT *`: the tsvector and the centroid are of no use to callers.
  private readonly cols;

  constructor(private readonly sql: Sql) {
    this.cols = sql`id, tenant_id, project, name, description, kind, examples, tags, source, fingerprint, evidence,
      metadata, created_at, updated_at`;
  }

  async create(input: NewPattern): Promise<CreatedPattern> {
    const sql = this.sql;
    const project = input.project ?? '';
    const nameKey = patternNameKey(input.name);
    const [row] = await sql<PatternRow[]>`
      INSERT INTO patterns (id, tenant_id, project, name, name_key, description, kind, examples, tags, source,
                            metadata, created_at, updated_at)
      VALUES (${input.id}, ${input.tenantId}, ${project}, ${input.name}, ${nameKey}, ${input.description},
              ${input.kind}, ${sql.json(input.examples)}, ${input.tags}::text[], 'manual',
              ${sql.json(input.metadata as JSONValue)}, ${input.createdAt}, ${input.createdAt})
      ON CONFLICT (tenant_id, project, name_key) DO NOTHING
      RETURNING ${this.cols}`;
    if (row) return { pattern: toPattern(row), created: true };
    const [existing] = await sql<PatternRow[]>`
      SELECT ${this.cols} FROM patterns
      WHERE tenant_id = ${input.tenantId} AND project = ${project} AND name_key = ${nameKey}`;
    return { pattern: toPattern(existing as PatternRow), created: false };
  }

  async get(tenantId: string, id: string): Promise<Pattern | undefined> {
    const [row] = await this.sql<PatternRow[]>`
      SELECT ${this.cols} FROM patterns WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ? toPattern(row) : undefined;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.sql`DELETE FROM patterns WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return result.count > 0;
  }

  async list(
    tenantId: string,
    filters: PatternFilters,
    limit: number,
    after?: { createdAt: string; id: string },
  ): Promise<Pattern[]> {
    const sql = this.sql;
    const rows = await sql<PatternRow[]>`
      SELECT ${this.cols} FROM patterns p
      WHERE p.tenant_id = ${tenantId} ${this.filters(filters)}
        ${after ? sql`AND (p.created_at, p.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : sql``}
      ORDER BY p.created_at DESC, p.id DESC
      LIMIT ${limit}`;
    return rows.map(toPattern);
  }

  async search(
    tenantId: string,
    query: string,
    filters: PatternFilters,
    limit: number,
    offset: number,
  ): Promise<Pattern[]> {
    const sql = this.sql;
    // As for reflections: the text's words (no syntax, no stop words), any of their stems matching.
    const words = queryWords(query);
    if (words.length === 0) return [];
    const tsquery = sql`replace(plainto_tsquery('english', ${words.join(' ')})::text, '&', '|')::tsquery`;
    const rows = await sql<PatternRow[]>`
      SELECT ${this.cols} FROM patterns p, (SELECT ${tsquery} AS q) x
      WHERE p.tenant_id = ${tenantId} AND p.search @@ x.q ${this.filters(filters)}
      ORDER BY ts_rank_cd(p.search, x.q) DESC, p.id
      LIMIT ${limit} OFFSET ${offset}`;
    return rows.map(toPattern);
  }

  async saveDetected(
    target: DetectedPatternTarget,
    build: (current: Pattern | undefined) => DetectedPatternFields,
  ): Promise<CreatedPattern> {
    const project = target.project ?? '';
    return transaction(this.sql, async (tx) => {
      const lockCurrent = async (): Promise<PatternRow | undefined> => {
        if (target.id) {
          const [byId] = await tx<PatternRow[]>`
            SELECT ${this.cols} FROM patterns
            WHERE id = ${target.id} AND tenant_id = ${target.tenantId} AND source = 'detected' FOR UPDATE`;
          if (byId) return byId;
        }
        const [byFingerprint] = await tx<PatternRow[]>`
          SELECT ${this.cols} FROM patterns
          WHERE tenant_id = ${target.tenantId} AND project = ${project} AND fingerprint = ${target.fingerprint}
          FOR UPDATE`;
        return byFingerprint;
      };
      const update = async (current: PatternRow): Promise<CreatedPattern> => {
        const f = build(toPattern(current));
        const [row] = await tx<PatternRow[]>`
          UPDATE patterns SET description = ${f.description}, examples = ${tx.json(f.examples)},
            evidence = ${tx.json(f.evidence as unknown as JSONValue)},
            centroid = ${centroidOf(f)}::real[], centroid_model = ${f.centroid?.model ?? null},
            updated_at = ${target.now}
          WHERE id = ${current.id}
          RETURNING ${this.cols}`;
        return { pattern: toPattern(row as PatternRow), created: false };
      };

      const current = await lockCurrent();
      if (current) return update(current);
      const f = build(undefined);
      let inserted: PatternRow | undefined;
      try {
        [inserted] = await tx<PatternRow[]>`
          INSERT INTO patterns (id, tenant_id, project, name, name_key, description, kind, examples, tags, source,
                                fingerprint, evidence, centroid, centroid_model, metadata, created_at, updated_at)
          VALUES (${target.newId}, ${target.tenantId}, ${project}, ${f.name}, ${patternNameKey(f.name)},
                  ${f.description}, ${f.kind}, ${tx.json(f.examples)}, ${f.tags}::text[], 'detected',
                  ${target.fingerprint}, ${tx.json(f.evidence as unknown as JSONValue)},
                  ${centroidOf(f)}::real[], ${f.centroid?.model ?? null}, '{}'::jsonb,
                  ${target.now}, ${target.now})
          ON CONFLICT (tenant_id, project, fingerprint) DO NOTHING
          RETURNING ${this.cols}`;
      } catch (error) {
        // Only the name can clash now: someone stored a manual pattern under the generated name.
        if ((error as { code?: string }).code === '23505') {
          throw new ConflictError(`a pattern named '${f.name}' already exists`);
        }
        throw error;
      }
      if (inserted) return { pattern: toPattern(inserted), created: true };
      // A concurrent run inserted the same fingerprint first: update its row instead.
      const raced = await lockCurrent();
      if (!raced) throw new Error(`detected pattern ${target.fingerprint} vanished during save`);
      return update(raced);
    });
  }

  async detectedCentroids(
    tenantId: string,
    project: string | null,
    model: string,
    limit: number,
  ): Promise<StoredCentroid[]> {
    const rows = await this.sql<{ id: string; fingerprint: string; centroid: number[] }[]>`
      SELECT id, fingerprint, centroid FROM patterns
      WHERE tenant_id = ${tenantId} AND project = ${project ?? ''} AND source = 'detected'
        AND centroid_model = ${model} AND centroid IS NOT NULL
      ORDER BY updated_at DESC LIMIT ${limit}`;
    return rows.map((r) => ({ id: r.id, fingerprint: r.fingerprint, vector: Float32Array.from(r.centroid) }));
  }

  async recentVectors(tenantId: string, model: string, scope: DetectionScope, minChars: number): Promise<VectorItem[]> {
    const sql = this.sql;
    const [messages, reflections] = await Promise.all([
      sql<{ id: string; session_id: string; created_at: Date; text: string; e: number[] }[]>`
        SELECT m.id, m.session_id, m.created_at, left(m.content, 1000) AS text, e.embedding::real[] AS e
        FROM message_embeddings e JOIN messages m ON m.id = e.message_id
        WHERE e.tenant_id = ${tenantId} AND e.model = ${model} AND m.tenant_id = ${tenantId} ${this.since('m', scope)}
          AND m.role IN ('user', 'assistant') AND length(m.content) >= ${minChars}
          ${this.inProject(tenantId, scope)}
        ORDER BY m.created_at DESC, m.id DESC LIMIT ${scope.limit}`,
      sql<{ id: string; session_id: string | null; created_at: Date; text: string; e: number[] }[]>`
        SELECT r.id, r.session_id, r.created_at, left(r.content, 1000) AS text, e.embedding::real[] AS e
        FROM reflection_embeddings e JOIN reflections r ON r.id = e.reflection_id
        WHERE e.tenant_id = ${tenantId} AND e.model = ${model} AND r.tenant_id = ${tenantId} ${this.since('r', scope)}
          ${scope.project === null ? sql`` : sql`AND r.project = ${scope.project}`}
        ORDER BY r.created_at DESC, r.id DESC LIMIT ${scope.limit}`,
    ]);
    const items: VectorItem[] = [
      ...messages.map((r) => ({ ...item(r), type: 'message' as const })),
      ...reflections.map((r) => ({ ...item(r), type: 'reflection' as const })),
    ];
    return items
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .slice(0, scope.limit);
  }

  async recentErrorMessages(tenantId: string, scope: DetectionScope, maxChars: number): Promise<ErrorCandidate[]> {
    const sql = this.sql;
    const rows = await sql<{ id: string; session_id: string; created_at: Date; content: string }[]>`
      SELECT m.id, m.session_id, m.created_at, left(m.content, ${maxChars}) AS content
      FROM messages m
      WHERE m.tenant_id = ${tenantId} ${this.since('m', scope)}
        AND m.content ~* ${ERROR_HINT} ${this.inProject(tenantId, scope)}
      ORDER BY m.created_at DESC, m.id DESC LIMIT ${scope.limit}`;
    return rows.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      createdAt: r.created_at.toISOString(),
      content: r.content,
    }));
  }

  async activeTenants(since: string, limit: number): Promise<string[]> {
    const rows = await this.sql<{ tenant_id: string }[]>`
      SELECT tenant_id FROM messages WHERE created_at >= ${since}
      UNION
      SELECT tenant_id FROM reflections WHERE created_at >= ${since}
      ORDER BY tenant_id LIMIT ${limit}`;
    return rows.map((r) => r.tenant_id);
  }

  async claimDetectionRun(run: DetectionRun): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO pattern_detection_runs (tenant_id, project, bucket, started_at)
      VALUES (${run.tenantId}, ${run.project ?? ''}, ${run.bucket}, ${run.now})
      ON CONFLICT (tenant_id, project, bucket) DO UPDATE
        SET attempts = pattern_detection_runs.attempts + 1, started_at = excluded.started_at
        WHERE pattern_detection_runs.finished_at IS NULL
      RETURNING 1`;
    return rows.length > 0;
  }

  async finishDetectionRun(run: DetectionRun, patterns: number, pruneBefore: string): Promise<void> {
    await transaction(this.sql, async (tx) => {
      await tx`
        UPDATE pattern_detection_runs SET finished_at = ${run.now}, patterns = ${patterns}
        WHERE tenant_id = ${run.tenantId} AND project = ${run.project ?? ''} AND bucket = ${run.bucket}`;
      await tx`DELETE FROM pattern_detection_runs WHERE tenant_id = ${run.tenantId} AND started_at < ${pruneBefore}`;
    });
  }

  /** Messages of the scope's project: through their session, found by the (tenant_id, project, …) index. */
  private inProject(tenantId: string, scope: DetectionScope) {
    const sql = this.sql;
    return scope.project === null
      ? sql``
      : sql`AND m.session_id IN (SELECT id FROM sessions WHERE tenant_id = ${tenantId} AND project = ${scope.project})`;
  }

  private since(alias: 'm' | 'r', scope: DetectionScope) {
    const sql = this.sql;
    return scope.since === undefined ? sql`` : sql`AND ${sql(alias)}.created_at >= ${scope.since}`;
  }

  private filters(f: PatternFilters) {
    const sql = this.sql;
    return sql`
      ${f.project === undefined ? sql`` : sql`AND p.project = ${f.project}`}
      ${f.kind === undefined ? sql`` : sql`AND p.kind = ${f.kind}`}
      ${f.source === undefined ? sql`` : sql`AND p.source = ${f.source}`}
      ${tagFilters(sql, 'p', f)}`;
  }
}

function centroidOf(f: DetectedPatternFields): number[] | null {
  return f.centroid ? Array.from(f.centroid.vector) : null;
}

function item(r: { id: string; session_id: string | null; created_at: Date; text: string; e: number[] }) {
  return {
    id: r.id,
    sessionId: r.session_id,
    createdAt: r.created_at.toISOString(),
    text: r.text,
    vector: Float32Array.from(r.e),
  };
}
