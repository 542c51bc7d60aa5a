import { fromSql } from 'pgvector';
import type { JSONValue } from 'postgres';
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
import { outboxRows } from './outbox.repository.js';
import {
  ensurePgVectorIndex,
  pgPathMentions,
  pgTextSearch,
  pgVectorSearch,
  reflectionFilters,
} from './search.queries.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';
import { idsWithVector, saveVectors, type VectorTable } from './vector-table.js';

const REFLECTION_VECTORS: VectorTable = {
  table: 'reflection_embeddings',
  owner: 'reflection_id',
  parent: 'reflections',
  hashed: true,
};

interface ReflectionRow {
  id: string;
  tenant_id: string;
  project: string;
  session_id: string | null;
  content: string;
  content_hash: string;
  tags: string[];
  importance: number;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

function toReflection(row: ReflectionRow): Reflection {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    project: row.project,
    sessionId: row.session_id,
    content: row.content,
    contentHash: row.content_hash,
    tags: row.tags,
    importance: row.importance,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class PostgresReflectionRepository implements ReflectionRepository {
  // Never `SELECT *`: the generated tsvector column is large and of no use to callers.
  private readonly cols;

  constructor(
    private readonly sql: Sql,
    private readonly followUps: WriteFollowUps,
  ) {
    this.cols = sql`id, tenant_id, project, session_id, content, content_hash, tags, importance, metadata,
      created_at, updated_at`;
  }

  async create(input: NewReflection): Promise<CreatedReflection> {
    return transaction(this.sql, async (tx) => {
      const [row] = await tx<ReflectionRow[]>`
        INSERT INTO reflections (id, tenant_id, project, session_id, content, content_hash, tags, importance,
                                 metadata, created_at, updated_at)
        VALUES (${input.id}, ${input.tenantId}, ${input.project}, ${input.sessionId}, ${input.content},
                ${input.contentHash}, ${input.tags}::text[], ${input.importance},
                ${tx.json(input.metadata as JSONValue)}, ${input.createdAt}, ${input.createdAt})
        ON CONFLICT (tenant_id, project, content_hash) DO NOTHING
        RETURNING ${this.cols}`;
      if (!row) {
        const [existing] = await tx<ReflectionRow[]>`
          SELECT ${this.cols} FROM reflections
          WHERE tenant_id = ${input.tenantId} AND project = ${input.project} AND content_hash = ${input.contentHash}`;
        return { reflection: toReflection(existing as ReflectionRow), created: false };
      }
      const reflection = toReflection(row);
      const jobs = this.followUps.reflectionWritten(reflection);
      if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
      return { reflection, created: true };
    });
  }

  async get(tenantId: string, id: string): Promise<Reflection | undefined> {
    const [row] = await this.sql<ReflectionRow[]>`
      SELECT ${this.cols} FROM reflections WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ? toReflection(row) : undefined;
  }

  async getMany(tenantId: string, ids: string[]): Promise<Reflection[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<ReflectionRow[]>`
      SELECT ${this.cols} FROM reflections WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::uuid[])`;
    return rows.map(toReflection);
  }

  async update(
    tenantId: string,
    id: string,
    decide: (current: Reflection) => ReflectionChange,
  ): Promise<Reflection | undefined> {
    return transaction(this.sql, async (tx) => {
      const [row] = await tx<ReflectionRow[]>`
        SELECT ${this.cols} FROM reflections WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
      if (!row) return undefined;
      const current = toReflection(row);
      const change = decide(current);
      const contentChanged = change.content !== undefined && change.content.hash !== current.contentHash;
      if (contentChanged) {
        const [clash] = await tx<{ id: string }[]>`
          SELECT id FROM reflections WHERE tenant_id = ${tenantId} AND project = ${current.project}
            AND content_hash = ${change.content?.hash as string} AND id <> ${id}`;
        if (clash) throw new ConflictError(`reflection '${clash.id}' already has this content`);
      }
      let updated: ReflectionRow | undefined;
      try {
        [updated] = await tx<ReflectionRow[]>`
          UPDATE reflections SET
            content = ${change.content?.text ?? current.content},
            content_hash = ${change.content?.hash ?? current.contentHash},
            tags = ${change.tags ?? current.tags}::text[],
            importance = ${change.importance ?? current.importance},
            metadata = ${tx.json((change.metadata ?? current.metadata) as JSONValue)},
            updated_at = ${change.updatedAt}
          WHERE id = ${id}
          RETURNING ${this.cols}`;
      } catch (error) {
        // A concurrent writer took the content between our check and our write.
        if ((error as { code?: string }).code === '23505')
          throw new ConflictError('a reflection already has this content');
        throw error;
      }
      const reflection = toReflection(updated as ReflectionRow);
      if (contentChanged) {
        await tx`DELETE FROM reflection_embeddings WHERE reflection_id = ${id}`;
        const jobs = this.followUps.reflectionWritten(reflection);
        if (jobs.length > 0) await tx`INSERT INTO job_outbox ${tx(outboxRows(tx, jobs))}`;
      }
      return reflection;
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.sql`DELETE FROM reflections WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return result.count > 0;
  }

  async list(tenantId: string, q: ReflectionListQuery): Promise<Reflection[]> {
    const sql = this.sql;
    const desc = q.order === 'desc';
    const rows = await sql<ReflectionRow[]>`
      SELECT ${this.cols} FROM reflections r
      WHERE r.tenant_id = ${tenantId} ${reflectionFilters(sql, q)}
        ${
          q.after
            ? desc
              ? sql`AND (r.created_at, r.id) < (${q.after.createdAt}::timestamptz, ${q.after.id}::uuid)`
              : sql`AND (r.created_at, r.id) > (${q.after.createdAt}::timestamptz, ${q.after.id}::uuid)`
            : sql``
        }
      ORDER BY r.created_at ${desc ? sql`DESC` : sql`ASC`}, r.id ${desc ? sql`DESC` : sql`ASC`}
      LIMIT ${q.limit}`;
    return rows.map(toReflection);
  }

  async stats(tenantId: string, project?: string): Promise<ReflectionStats> {
    const sql = this.sql;
    const scope = sql`tenant_id = ${tenantId} ${project === undefined ? sql`` : sql`AND project = ${project}`}`;
    const [[total], tags, projects, days, weeks, models] = await Promise.all([
      sql<{ n: number }[]>`SELECT count(*)::int AS n FROM reflections WHERE ${scope}`,
      sql<{ k: string; n: number }[]>`
        SELECT t AS k, count(*)::int AS n FROM reflections, unnest(tags) AS t WHERE ${scope} GROUP BY t`,
      sql<{ k: string; n: number }[]>`
        SELECT project AS k, count(*)::int AS n FROM reflections WHERE ${scope} GROUP BY project`,
      sql<{ period: string; count: number }[]>`
        SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS period, count(*)::int AS count
        FROM reflections WHERE ${scope} GROUP BY 1 ORDER BY 1 DESC LIMIT 90`,
      sql<{ period: string; count: number }[]>`
        SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS period,
               count(*)::int AS count
        FROM reflections WHERE ${scope} GROUP BY 1 ORDER BY 1 DESC LIMIT 52`,
      sql<{ k: string; n: number }[]>`
        SELECT e.model AS k, count(*)::int AS n FROM reflection_embeddings e
        JOIN reflections r ON r.id = e.reflection_id
        WHERE r.tenant_id = ${tenantId} ${project === undefined ? sql`` : sql`AND r.project = ${project}`}
        GROUP BY e.model`,
    ]);
    const record = (rows: { k: string; n: number }[]): Record<string, number> =>
      Object.fromEntries(rows.map((r) => [r.k, r.n]));
    return {
      total: total?.n ?? 0,
      byTag: record(tags),
      byProject: record(projects),
      byDay: days.map((d) => ({ period: d.period, count: d.count })),
      byWeek: weeks.map((w) => ({ period: w.period, count: w.count })),
      embeddings: record(models),
    };
  }

  saveVectors(vectors: ReflectionVector[]): Promise<number> {
    return saveVectors(this.sql, REFLECTION_VECTORS, vectors);
  }

  withVector(ids: string[], model: string): Promise<Set<string>> {
    return idsWithVector(this.sql, REFLECTION_VECTORS, ids, model);
  }

  async missingVector(
    model: string,
    window: { from: string; to: string },
    jobName: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string; contentHash: string }>> {
    const rows = await this.sql<{ id: string; tenant_id: string; content_hash: string }[]>`
      SELECT r.id, r.tenant_id, r.content_hash FROM reflections r
      WHERE r.updated_at >= ${window.from} AND r.updated_at < ${window.to}
        AND NOT EXISTS (SELECT 1 FROM reflection_embeddings e WHERE e.reflection_id = r.id AND e.model = ${model})
        AND NOT EXISTS (SELECT 1 FROM dead_letters d
                        WHERE d.job_name = ${jobName} AND d.payload ->> 'reflectionId' = r.id::text
                          AND d.status <> 'retried')
        AND NOT EXISTS (SELECT 1 FROM job_outbox o
                        WHERE o.job_name = ${jobName} AND o.payload ->> 'reflectionId' = r.id::text)
      ORDER BY r.updated_at LIMIT ${limit}`;
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, contentHash: r.content_hash }));
  }

  async getVector(tenantId: string, id: string, model: string): Promise<Float32Array | undefined> {
    const [row] = await this.sql<{ e: string }[]>`
      SELECT embedding::text AS e FROM reflection_embeddings
      WHERE reflection_id = ${id} AND model = ${model} AND tenant_id = ${tenantId}`;
    return row ? Float32Array.from(fromSql(row.e) as number[]) : undefined;
  }

  textSearch(
    kind: SearchKind,
    tenantId: string,
    query: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<TextHit[]> {
    return pgTextSearch(this.sql, kind, tenantId, query, filters, limit);
  }

  vectorSearch(
    kind: 'reflection',
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]> {
    return pgVectorSearch(this.sql, kind, tenantId, vector, model, filters, k);
  }

  ensureVectorIndex(model: string, dim: number): Promise<void> {
    return ensurePgVectorIndex(this.sql, model, dim);
  }

  pathMentions(
    kind: SearchKind,
    tenantId: string,
    path: string,
    filters: SearchFilters,
    limit: number,
  ): Promise<string[]> {
    return pgPathMentions(this.sql, kind, tenantId, path, filters, limit);
  }
}
