import { ConflictError } from '../../core/errors.js';
import type { Reflection } from '../../domain/reflection.model.js';
import type { ReflectionVector, WriteFollowUps } from '../ports.js';
import type {
  CreatedReflection,
  NewReflection,
  ReflectionChange,
  ReflectionListQuery,
  ReflectionRepository,
  ReflectionStats,
} from '../reflection.port.js';
import type { SearchFilters, SearchKind, TextHit, VectorHit } from '../search.port.js';
import { type Db, fromBlob, toBlob } from './db.js';
import type { SqliteOutboxRepository } from './outbox.repository.js';
import { reflectionFilters, sqlitePathMentions, sqliteTextSearch, sqliteVectorSearch } from './search.queries.js';

interface ReflectionRow {
  id: string;
  tenant_id: string;
  project: string;
  session_id: string | null;
  content: string;
  content_hash: string;
  tags: string;
  importance: number;
  metadata: string;
  created_at: string;
  updated_at: string;
}

const COLS = `id, tenant_id, project, session_id, content, content_hash, tags, importance, metadata, created_at,
  updated_at`;

function toReflection(row: ReflectionRow): Reflection {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project,
    sessionId: row.session_id,
    content: row.content,
    contentHash: row.content_hash,
    tags: JSON.parse(row.tags) as string[],
    importance: row.importance,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteReflectionRepository implements ReflectionRepository {
  private readonly insertStmt;
  private readonly byHashStmt;
  private readonly getStmt;
  private readonly updateStmt;
  private readonly saveVectorStmt;

  constructor(
    private readonly db: Db,
    private readonly outbox: SqliteOutboxRepository,
    private readonly followUps: WriteFollowUps,
  ) {
    this.insertStmt = db.prepare(`
      INSERT INTO reflections (id, tenant_id, project, session_id, content, content_hash, tags, importance, metadata,
                               created_at, updated_at)
      VALUES (@id, @tenantId, @project, @sessionId, @content, @contentHash, @tags, @importance, @metadata,
              @createdAt, @createdAt)
      ON CONFLICT (tenant_id, project, content_hash) DO NOTHING
      RETURNING ${COLS}`);
    this.byHashStmt = db.prepare(
      `SELECT ${COLS} FROM reflections WHERE tenant_id = ? AND project = ? AND content_hash = ?`,
    );
    this.getStmt = db.prepare(`SELECT ${COLS} FROM reflections WHERE id = ? AND tenant_id = ?`);
    this.updateStmt = db.prepare(`
      UPDATE reflections SET content = @content, content_hash = @contentHash, tags = @tags, importance = @importance,
        metadata = @metadata, updated_at = @updatedAt
      WHERE id = @id RETURNING ${COLS}`);
    this.saveVectorStmt = db.prepare(`
      INSERT INTO reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at)
      SELECT @ownerId, @tenantId, @model, @dim, @embedding, @createdAt
      WHERE EXISTS (SELECT 1 FROM reflections WHERE id = @ownerId AND content_hash = @contentHash)
      ON CONFLICT (reflection_id, model) DO NOTHING`);
  }

  async create(input: NewReflection): Promise<CreatedReflection> {
    return this.db
      .transaction((): CreatedReflection => {
        const row = this.insertStmt.get({
          ...input,
          tags: JSON.stringify(input.tags),
          metadata: JSON.stringify(input.metadata),
        }) as ReflectionRow | undefined;
        if (!row) {
          const existing = this.byHashStmt.get(input.tenantId, input.project, input.contentHash) as ReflectionRow;
          return { reflection: toReflection(existing), created: false };
        }
        const reflection = toReflection(row);
        this.outbox.insert(this.followUps.reflectionWritten(reflection));
        return { reflection, created: true };
      })
      .immediate();
  }

  async get(tenantId: string, id: string): Promise<Reflection | undefined> {
    const row = this.getStmt.get(id, tenantId) as ReflectionRow | undefined;
    return row ? toReflection(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Reflection[]> {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT ${COLS} FROM reflections WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))`)
      .all(tenantId, JSON.stringify(ids)) as ReflectionRow[];
    return rows.map(toReflection);
  }

  async update(
    tenantId: string,
    id: string,
    decide: (current: Reflection) => ReflectionChange,
  ): Promise<Reflection | undefined> {
    return this.db
      .transaction((): Reflection | undefined => {
        const row = this.getStmt.get(id, tenantId) as ReflectionRow | undefined;
        if (!row) return undefined;
        const current = toReflection(row);
        const change = decide(current);
        const contentChanged = change.content !== undefined && change.content.hash !== current.contentHash;
        if (contentChanged) {
          const clash = this.byHashStmt.get(tenantId, current.project, change.content?.hash) as
            | ReflectionRow
            | undefined;
          if (clash && clash.id !== id) throw new ConflictError(`reflection '${clash.id}' already has this content`);
        }
        const updated = toReflection(
          this.updateStmt.get({
            id,
            content: change.content?.text ?? current.content,
            contentHash: change.content?.hash ?? current.contentHash,
            tags: JSON.stringify(change.tags ?? current.tags),
            importance: change.importance ?? current.importance,
            metadata: JSON.stringify(change.metadata ?? current.metadata),
            updatedAt: change.updatedAt,
          }) as ReflectionRow,
        );
        if (contentChanged) {
          // The vectors described the old text.
          this.db.prepare('DELETE FROM reflection_embeddings WHERE reflection_id = ?').run(id);
          this.outbox.insert(this.followUps.reflectionWritten(updated));
        }
        return updated;
      })
      .immediate();
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM reflections WHERE id = ? AND tenant_id = ?').run(id, tenantId).changes > 0;
  }

  async list(tenantId: string, q: ReflectionListQuery): Promise<Reflection[]> {
    const direction = q.order === 'desc' ? 'DESC' : 'ASC';
    const filters = reflectionFilters(q);
    const keyset = q.after ? ` AND (r.created_at, r.id) ${q.order === 'desc' ? '<' : '>'} (@afterAt, @afterId)` : '';
    const rows = this.db
      .prepare(
        `SELECT ${COLS} FROM reflections r WHERE r.tenant_id = @tenantId ${filters.sql}${keyset}
         ORDER BY r.created_at ${direction}, r.id ${direction} LIMIT @limit`,
      )
      .all({
        ...filters.params,
        tenantId,
        limit: q.limit,
        ...(q.after ? { afterAt: q.after.createdAt, afterId: q.after.id } : {}),
      }) as ReflectionRow[];
    return rows.map(toReflection);
  }

  async stats(tenantId: string, project?: string): Promise<ReflectionStats> {
    const scope = `r.tenant_id = @tenantId${project === undefined ? '' : ' AND r.project = @project'}`;
    const params = project === undefined ? { tenantId } : { tenantId, project };
    const all = (sql: string): Array<{ k: string; n: number }> =>
      this.db.prepare(sql).all(params) as Array<{ k: string; n: number }>;
    const record = (rows: Array<{ k: string; n: number }>): Record<string, number> =>
      Object.fromEntries(rows.map((r) => [r.k, r.n]));
    const periods = (rows: Array<{ k: string; n: number }>): Array<{ period: string; count: number }> =>
      rows.map((r) => ({ period: r.k, count: r.n }));
    return {
      total: all(`SELECT '' AS k, count(*) AS n FROM reflections r WHERE ${scope}`)[0]?.n ?? 0,
      byTag: record(
        all(
          `SELECT t.value AS k, count(*) AS n FROM reflections r, json_each(r.tags) t WHERE ${scope} GROUP BY t.value`,
        ),
      ),
      byProject: record(
        all(`SELECT r.project AS k, count(*) AS n FROM reflections r WHERE ${scope} GROUP BY r.project`),
      ),
      byDay: periods(
        all(`SELECT substr(r.created_at, 1, 10) AS k, count(*) AS n FROM reflections r WHERE ${scope}
             GROUP BY k ORDER BY k DESC LIMIT 90`),
      ),
      // 'weekday 0' moves to the coming Sunday (or stays on one); six days back is that week's Monday.
      byWeek: periods(
        all(`SELECT date(r.created_at, 'weekday 0', '-6 days') AS k, count(*) AS n FROM reflections r WHERE ${scope}
             GROUP BY k ORDER BY k DESC LIMIT 52`),
      ),
      embeddings: record(
        all(`SELECT e.model AS k, count(*) AS n FROM reflection_embeddings e JOIN reflections r ON r.id = e.reflection_id
             WHERE ${scope} GROUP BY e.model`),
      ),
    };
  }

  async saveVectors(vectors: ReflectionVector[]): Promise<number> {
    return this.db.transaction(() => {
      let saved = 0;
      for (const v of vectors) {
        saved += this.saveVectorStmt.run({ ...v, dim: v.vector.length, embedding: toBlob(v.vector) }).changes;
      }
      return saved;
    })();
  }

  async missingVector(
    model: string,
    window: { from: string; to: string },
    jobName: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string; contentHash: string }>> {
    const rows = this.db
      .prepare(
        `SELECT r.id, r.tenant_id, r.content_hash FROM reflections r
         WHERE r.updated_at >= @from AND r.updated_at < @to
           AND NOT EXISTS (SELECT 1 FROM reflection_embeddings e WHERE e.reflection_id = r.id AND e.model = @model)
           AND NOT EXISTS (SELECT 1 FROM dead_letters d
                           WHERE d.job_name = @jobName AND json_extract(d.payload, '$.reflectionId') = r.id
                             AND d.status <> 'retried')
           AND NOT EXISTS (SELECT 1 FROM job_outbox o
                           WHERE o.job_name = @jobName AND json_extract(o.payload, '$.reflectionId') = r.id)
         ORDER BY r.updated_at LIMIT @limit`,
      )
      .all({ model, from: window.from, to: window.to, jobName, limit }) as Array<{
      id: string;
      tenant_id: string;
      content_hash: string;
    }>;
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, contentHash: r.content_hash }));
  }

  async withVector(ids: string[], model: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const found = this.db
      .prepare(
        'SELECT reflection_id FROM reflection_embeddings WHERE model = ? AND reflection_id IN (SELECT value FROM json_each(?))',
      )
      .pluck()
      .all(model, JSON.stringify(ids)) as string[];
    return new Set(found);
  }

  async getVector(tenantId: string, id: string, model: string): Promise<Float32Array | undefined> {
    const blob = this.db
      .prepare('SELECT embedding FROM reflection_embeddings WHERE reflection_id = ? AND model = ? AND tenant_id = ?')
      .pluck()
      .get(id, model, tenantId) as Buffer | undefined;
    return blob ? fromBlob(blob) : undefined;
  }

  async textSearch(
    kind: SearchKind,
    tenantId: string,
    query: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<TextHit[]> {
    return sqliteTextSearch(this.db, kind, tenantId, query, filters, limit);
  }

  async vectorSearch(
    kind: 'reflection',
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]> {
    return sqliteVectorSearch(this.db, kind, tenantId, vector, model, filters, k);
  }

  /** Search is exact (brute force) on SQLite: there is no index to make. */
  async ensureVectorIndex(_model: string, _dim: number): Promise<void> {}

  async pathMentions(
    kind: SearchKind,
    tenantId: string,
    path: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<string[]> {
    return sqlitePathMentions(this.db, kind, tenantId, path, filters, limit);
  }
}
