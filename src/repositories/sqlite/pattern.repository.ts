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
import { fts5Query } from '../search-sql.js';
import { type Db, fromBlob, toBlob } from './db.js';
import { addTagFilters } from './search.queries.js';

interface PatternRow {
  id: string;
  tenant_id: string;
  project: string;
  name: string;
  description: string;
  kind: Pattern['kind'];
  examples: string;
  tags: string;
  source: Pattern['source'];
  fingerprint: string | null;
  evidence: string | null;
  metadata: string;
  created_at: string;
  updated_at: string;
}

const COLS = `p.id, p.tenant_id, p.project, p.name, p.description, p.kind, p.examples, p.tags, p.source, p.fingerprint,
  p.evidence, p.metadata, p.created_at, p.updated_at`;

// The same pre-filter as PostgreSQL's (LIKE is case-insensitive for ASCII); error-signature.ts decides per line.
const ERROR_HINTS = [
  'error',
  'exception',
  'traceback',
  'econn',
  'enoent',
  'eacces',
  'etimedout',
  'eaddrinuse',
  'fail',
  'exit code',
  'exit status',
  'fatal',
  'panic',
];

/**
 * Tenants that wrote since @since, through the created_at indexes. UNION ALL, then DISTINCT: a plain UNION merges
 * inputs sorted by tenant, and SQLite would rather scan the whole (tenant_id, created_at) indexes for that.
 */
export const ACTIVE_TENANTS_SQL = `
  SELECT DISTINCT tenant_id FROM (
    SELECT tenant_id FROM messages WHERE created_at >= @since
    UNION ALL SELECT tenant_id FROM reflections WHERE created_at >= @since)
  ORDER BY tenant_id LIMIT @limit`;

function toPattern(row: PatternRow): Pattern {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project === '' ? null : row.project,
    name: row.name,
    description: row.description,
    kind: row.kind,
    examples: JSON.parse(row.examples) as string[],
    tags: JSON.parse(row.tags) as string[],
    source: row.source,
    fingerprint: row.fingerprint,
    evidence: row.evidence === null ? null : (JSON.parse(row.evidence) as PatternEvidence),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqlitePatternRepository implements PatternRepository {
  private readonly insertStmt;
  private readonly byNameStmt;
  private readonly getStmt;
  private readonly byFingerprintStmt;
  private readonly updateDetectedStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO patterns (id, tenant_id, project, name, name_key, description, kind, examples, tags, source,
                            fingerprint, evidence, centroid, centroid_model, metadata, created_at, updated_at)
      VALUES (@id, @tenantId, @project, @name, @nameKey, @description, @kind, @examples, @tags, @source,
              @fingerprint, @evidence, @centroid, @centroidModel, @metadata, @now, @now)
      ON CONFLICT DO NOTHING
      RETURNING ${COLS.replaceAll('p.', '')}`);
    this.byNameStmt = db.prepare(
      `SELECT ${COLS} FROM patterns p WHERE p.tenant_id = ? AND p.project = ? AND p.name_key = ?`,
    );
    this.getStmt = db.prepare(`SELECT ${COLS} FROM patterns p WHERE p.id = ? AND p.tenant_id = ?`);
    this.byFingerprintStmt = db.prepare(
      `SELECT ${COLS} FROM patterns p WHERE p.tenant_id = ? AND p.project = ? AND p.fingerprint = ?`,
    );
    this.updateDetectedStmt = db.prepare(`
      UPDATE patterns SET description = @description, examples = @examples, evidence = @evidence,
        centroid = @centroid, centroid_model = @centroidModel, updated_at = @now
      WHERE id = @id RETURNING ${COLS.replaceAll('p.', '')}`);
  }

  async create(input: NewPattern): Promise<CreatedPattern> {
    return this.db
      .transaction((): CreatedPattern => {
        const project = input.project ?? '';
        const nameKey = patternNameKey(input.name);
        const row = this.insertStmt.get({
          ...input,
          project,
          nameKey,
          examples: JSON.stringify(input.examples),
          tags: JSON.stringify(input.tags),
          source: 'manual',
          fingerprint: null,
          evidence: null,
          centroid: null,
          centroidModel: null,
          metadata: JSON.stringify(input.metadata),
          now: input.createdAt,
        }) as PatternRow | undefined;
        if (row) return { pattern: toPattern(row), created: true };
        const existing = this.byNameStmt.get(input.tenantId, project, nameKey) as PatternRow;
        return { pattern: toPattern(existing), created: false };
      })
      .immediate();
  }

  async get(tenantId: string, id: string): Promise<Pattern | undefined> {
    const row = this.getStmt.get(id, tenantId) as PatternRow | undefined;
    return row ? toPattern(row) : undefined;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM patterns WHERE id = ? AND tenant_id = ?').run(id, tenantId).changes > 0;
  }

  async list(
    tenantId: string,
    filters: PatternFilters,
    limit: number,
    after?: { createdAt: string; id: string },
  ): Promise<Pattern[]> {
    const f = sqlFilters(filters);
    const rows = this.db
      .prepare(
        `SELECT ${COLS} FROM patterns p WHERE p.tenant_id = @tenantId ${f.sql}
         ${after ? 'AND (p.created_at, p.id) < (@afterAt, @afterId)' : ''}
         ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`,
      )
      .all({
        ...f.params,
        tenantId,
        limit,
        ...(after ? { afterAt: after.createdAt, afterId: after.id } : {}),
      }) as PatternRow[];
    return rows.map(toPattern);
  }

  async search(
    tenantId: string,
    query: string,
    filters: PatternFilters,
    limit: number,
    offset: number,
  ): Promise<Pattern[]> {
    const match = fts5Query(query);
    if (match === undefined) return [];
    const f = sqlFilters(filters);
    // Column weights: a word in the name counts most, then the description, then the examples.
    const rows = this.db
      .prepare(
        `SELECT ${COLS} FROM patterns_fts JOIN patterns p ON p.seq = patterns_fts.rowid
         WHERE patterns_fts MATCH @match AND p.tenant_id = @tenantId ${f.sql}
         ORDER BY bm25(patterns_fts, 4.0, 2.0, 1.0), p.id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...f.params, match, tenantId, limit, offset }) as PatternRow[];
    return rows.map(toPattern);
  }

  async saveDetected(
    target: DetectedPatternTarget,
    build: (current: Pattern | undefined) => DetectedPatternFields,
  ): Promise<CreatedPattern> {
    const project = target.project ?? '';
    return this.db
      .transaction((): CreatedPattern => {
        const byId = target.id ? (this.getStmt.get(target.id, target.tenantId) as PatternRow | undefined) : undefined;
        const current =
          byId?.source === 'detected'
            ? byId
            : (this.byFingerprintStmt.get(target.tenantId, project, target.fingerprint) as PatternRow | undefined);
        const f = build(current ? toPattern(current) : undefined);
        const written = {
          description: f.description,
          examples: JSON.stringify(f.examples),
          evidence: JSON.stringify(f.evidence),
          centroid: f.centroid ? toBlob(f.centroid.vector) : null,
          centroidModel: f.centroid?.model ?? null,
          now: target.now,
        };
        if (current) {
          const row = this.updateDetectedStmt.get({ ...written, id: current.id }) as PatternRow;
          return { pattern: toPattern(row), created: false };
        }
        // Writes are serialised (BEGIN IMMEDIATE), so only the name can clash here.
        const row = this.insertStmt.get({
          ...written,
          id: target.newId,
          tenantId: target.tenantId,
          project,
          name: f.name,
          nameKey: patternNameKey(f.name),
          kind: f.kind,
          tags: JSON.stringify(f.tags),
          source: 'detected',
          fingerprint: target.fingerprint,
          metadata: '{}',
        }) as PatternRow | undefined;
        if (!row) throw new ConflictError(`a pattern named '${f.name}' already exists`);
        return { pattern: toPattern(row), created: true };
      })
      .immediate();
  }

  async detectedCentroids(
    tenantId: string,
    project: string | null,
    model: string,
    limit: number,
  ): Promise<StoredCentroid[]> {
    const rows = this.db
      .prepare(
        `SELECT id, fingerprint, centroid FROM patterns
         WHERE tenant_id = ? AND project = ? AND source = 'detected' AND centroid_model = ? AND centroid IS NOT NULL
         ORDER BY updated_at DESC LIMIT ?`,
      )
      .all(tenantId, project ?? '', model, limit) as Array<{ id: string; fingerprint: string; centroid: Buffer }>;
    return rows.map((r) => ({ id: r.id, fingerprint: r.fingerprint, vector: fromBlob(r.centroid) }));
  }

  async recentVectors(tenantId: string, model: string, scope: DetectionScope, minChars: number): Promise<VectorItem[]> {
    const params = { tenantId, model, since: scope.since ?? '', project: scope.project, limit: scope.limit, minChars };
    type Row = { id: string; session_id: string | null; created_at: string; text: string; e: Buffer };
    const messages = this.db
      .prepare(
        `SELECT m.id, m.session_id, m.created_at, substr(m.content, 1, 1000) AS text, e.embedding AS e
         FROM message_embeddings e JOIN messages m ON m.id = e.message_id
         WHERE e.tenant_id = @tenantId AND e.model = @model AND m.tenant_id = @tenantId AND m.created_at >= @since
           AND m.role IN ('user', 'assistant') AND length(m.content) >= @minChars
           AND (@project IS NULL OR m.session_id IN (SELECT id FROM sessions WHERE tenant_id = @tenantId AND project = @project))
         ORDER BY m.created_at DESC, m.id DESC LIMIT @limit`,
      )
      .all(params) as Row[];
    const reflections = this.db
      .prepare(
        `SELECT r.id, r.session_id, r.created_at, substr(r.content, 1, 1000) AS text, e.embedding AS e
         FROM reflection_embeddings e JOIN reflections r ON r.id = e.reflection_id
         WHERE e.tenant_id = @tenantId AND e.model = @model AND r.tenant_id = @tenantId AND r.created_at >= @since
           AND (@project IS NULL OR r.project = @project)
         ORDER BY r.created_at DESC, r.id DESC LIMIT @limit`,
      )
      .all(params) as Row[];
    const item = (type: VectorItem['type']) => (r: Row) => ({
      type,
      id: r.id,
      sessionId: r.session_id,
      createdAt: r.created_at,
      text: r.text,
      vector: fromBlob(r.e),
    });
    return [...messages.map(item('message')), ...reflections.map(item('reflection'))]
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .slice(0, scope.limit);
  }

  async recentErrorMessages(tenantId: string, scope: DetectionScope, maxChars: number): Promise<ErrorCandidate[]> {
    const hints = ERROR_HINTS.map((_, i) => `m.content LIKE @h${i}`).join(' OR ');
    const rows = this.db
      .prepare(
        `SELECT m.id, m.session_id, m.created_at, substr(m.content, 1, @maxChars) AS content FROM messages m
         WHERE m.tenant_id = @tenantId AND m.created_at >= @since AND (${hints})
           AND (@project IS NULL OR m.session_id IN (SELECT id FROM sessions WHERE tenant_id = @tenantId AND project = @project))
         ORDER BY m.created_at DESC, m.id DESC LIMIT @limit`,
      )
      .all({
        ...Object.fromEntries(ERROR_HINTS.map((h, i) => [`h${i}`, `%${h}%`])),
        tenantId,
        since: scope.since ?? '',
        project: scope.project,
        limit: scope.limit,
        maxChars,
      }) as Array<{ id: string; session_id: string; created_at: string; content: string }>;
    return rows.map((r) => ({ id: r.id, sessionId: r.session_id, createdAt: r.created_at, content: r.content }));
  }

  async activeTenants(since: string, limit: number): Promise<string[]> {
    return this.db.prepare(ACTIVE_TENANTS_SQL).pluck().all({ since, limit }) as string[];
  }

  async claimDetectionRun(run: DetectionRun): Promise<boolean> {
    const claimed = this.db
      .prepare(
        `INSERT INTO pattern_detection_runs (tenant_id, project, bucket, started_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, project, bucket) DO UPDATE
           SET attempts = attempts + 1, started_at = excluded.started_at WHERE finished_at IS NULL
         RETURNING 1`,
      )
      .get(run.tenantId, run.project ?? '', run.bucket, run.now);
    return claimed !== undefined;
  }

  async finishDetectionRun(run: DetectionRun, patterns: number, pruneBefore: string): Promise<void> {
    this.db
      .transaction(() => {
        this.db
          .prepare(
            `UPDATE pattern_detection_runs SET finished_at = ?, patterns = ?
             WHERE tenant_id = ? AND project = ? AND bucket = ?`,
          )
          .run(run.now, patterns, run.tenantId, run.project ?? '', run.bucket);
        this.db
          .prepare('DELETE FROM pattern_detection_runs WHERE tenant_id = ? AND started_at < ?')
          .run(run.tenantId, pruneBefore);
      })
      .immediate();
  }
}

function sqlFilters(f: PatternFilters): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.project !== undefined) {
    where.push('p.project = @project');
    params.project = f.project;
  }
  if (f.kind !== undefined) {
    where.push('p.kind = @kind');
    params.kind = f.kind;
  }
  if (f.source !== undefined) {
    where.push('p.source = @source');
    params.source = f.source;
  }
  addTagFilters(where, params, f, 'p');
  return { sql: where.map((w) => ` AND ${w}`).join(''), params };
}
