import { toSql } from 'pgvector';
import type { StoredVector } from '../ports.js';
import type { Sql } from './postgres.store.js';

/** A table of vectors owned by rows of another table (message_embeddings → messages, …). */
export interface VectorTable {
  table: 'message_embeddings' | 'reflection_embeddings';
  owner: 'message_id' | 'reflection_id';
  parent: 'messages' | 'reflections';
}

/**
 * Saves vectors in one statement; a vector already stored for the same owner and model is kept, and an
 * owner deleted since its job was queued is skipped rather than failing the batch. Returns rows saved.
 */
export async function saveVectors(sql: Sql, t: VectorTable, vectors: StoredVector[]): Promise<number> {
  if (vectors.length === 0) return 0;
  const rows = vectors.map((v) => ({
    owner: v.ownerId,
    tenant_id: v.tenantId,
    model: v.model,
    dim: v.vector.length,
    embedding: toSql(Array.from(v.vector)) as string,
    created_at: v.createdAt,
  }));
  const result = await sql`
    INSERT INTO ${sql(t.table)} (${sql(t.owner)}, tenant_id, model, dim, embedding, created_at)
    SELECT r.owner, r.tenant_id, r.model, r.dim, r.embedding::vector, r.created_at
    FROM jsonb_to_recordset(${sql.json(rows)}) AS r(owner uuid, tenant_id text, model text, dim int,
                                                     embedding text, created_at timestamptz)
    WHERE EXISTS (SELECT 1 FROM ${sql(t.parent)} p WHERE p.id = r.owner)
    ON CONFLICT (${sql(t.owner)}, model) DO NOTHING`;
  return result.count;
}

/** Owner ids among `ids` that already have a vector of `model`. */
export async function idsWithVector(sql: Sql, t: VectorTable, ids: string[], model: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql<{ owner: string }[]>`
    SELECT ${sql(t.owner)} AS owner FROM ${sql(t.table)}
    WHERE model = ${model} AND ${sql(t.owner)} = ANY(${ids}::uuid[])`;
  return new Set(rows.map((r) => r.owner));
}
