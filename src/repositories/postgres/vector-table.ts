import { toSql } from 'pgvector';
import type { StoredVector } from '../ports.js';
import type { Sql } from './sql.js';

/** A table of vectors owned by rows of another table (message_embeddings → messages, …). */
export interface VectorTable {
  table: 'message_embeddings' | 'reflection_embeddings';
  owner: 'message_id' | 'reflection_id';
  parent: 'messages' | 'reflections';
  /** Owners whose content can change: a vector is saved only while the owner's content_hash is its contentHash. */
  hashed?: boolean;
}

/**
 * Saves vectors in one statement; a vector already stored for the same owner and model is kept, and an
 * owner deleted since its job was queued (or, `hashed`, re-worded since: another content_hash) is skipped rather
 * than failing the batch. Returns rows saved.
 */
export async function saveVectors(
  sql: Sql,
  t: VectorTable,
  vectors: Array<StoredVector & { contentHash?: string }>,
): Promise<number> {
  if (vectors.length === 0) return 0;
  const rows = vectors.map((v) => ({
    owner: v.ownerId,
    tenant_id: v.tenantId,
    model: v.model,
    dim: v.vector.length,
    embedding: toSql(Array.from(v.vector)) as string,
    created_at: v.createdAt,
    content_hash: v.contentHash ?? null,
  }));
  const result = await sql`
    INSERT INTO ${sql(t.table)} (${sql(t.owner)}, tenant_id, model, dim, embedding, created_at)
    SELECT r.owner, r.tenant_id, r.model, r.dim, r.embedding::vector, r.created_at
    FROM jsonb_to_recordset(${sql.json(rows)}) AS r(owner uuid, tenant_id text, model text, dim int,
                                                     embedding text, created_at timestamptz, content_hash text)
    WHERE EXISTS (SELECT 1 FROM ${sql(t.parent)} p WHERE p.id = r.owner
                  ${t.hashed ? sql`AND p.content_hash = r.content_hash` : sql``})
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

/**
 * HNSW parameters of the per-model partial indexes and of their queries, measured with
 * `npm run bench -- search` on 100k templated reflections (256-d hash vectors, the harder case: the local
 * model's vectors reach recall@10 0.998 at 10k with pgvector's defaults). With pgvector's defaults
 * (m 16, ef_construction 64, ef_search 40–100) recall@10 was 0.85–0.90, varying per build;
 * With ef_construction 256: ef_search 120 gave recall 0.948 at p95 10.1 ms, 160 gave 0.969 at 10.4 ms, 200 gave
 * 0.988 at 13.0 ms (unfiltered, load 1.5): 160 keeps recall above 0.95 at about the same latency as 120.
 * Build memory: a 100k × 256-d graph takes 130 MB; above maintenance_work_mem (PostgreSQL's default
 * 64 MB) the build spills and took 68–93 s instead of 24 s (66–75 s with ef_construction 256).
 */
export const HNSW = {
  /** Graph degree. (Default: 16, pgvector's) */
  m: 16,
  /** Candidates kept while inserting into the graph. (Default: 256; pgvector's is 64) */
  efConstruction: 256,
  /** Candidates kept while searching; also the batch size of iterative scans. (Default: 160) */
  efSearch: 160,
  /** maintenance_work_mem for the build, set locally in its transaction. (Default: 512MB) */
  buildMemory: '512MB',
} as const;

/**
 * Builds one partial HNSW index (`name`, `modelLiteral` and `dim` are validated by the caller) without blocking
 * writes: CREATE INDEX CONCURRENTLY, on a reserved connection with enough maintenance_work_mem to keep the graph
 * in memory. One builder at a time per index (advisory lock; another process that finds it taken leaves the build
 * to its holder). A build that was interrupted leaves an invalid index, which IF NOT EXISTS would keep for good: it
 * is dropped and built again.
 */
export async function createHnswIndex(
  sql: Sql,
  table: VectorTable['table'],
  name: string,
  modelLiteral: string,
  dim: number,
): Promise<void> {
  const conn = await sql.reserve();
  try {
    const [lock] = await conn<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(hashtext(${name})) AS ok`;
    if (!lock?.ok) return;
    try {
      const [index] = await conn<{ valid: boolean }[]>`
        SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = ${name} AND c.relnamespace = current_schema()::regnamespace`;
      if (index?.valid) return;
      if (index) await conn.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      // No statement timeout for the build: at 100,000 vectors it takes about a minute, and the pool's timeout
      // (database.statementTimeoutMs, 30 s) cancelled it, leaving an invalid index to build again next time.
      await conn`SELECT set_config('maintenance_work_mem', ${HNSW.buildMemory}, false),
                        set_config('statement_timeout', '0', false)`;
      await conn.unsafe(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${table}
         USING hnsw ((embedding::vector(${dim})) vector_cosine_ops)
         WITH (m = ${HNSW.m}, ef_construction = ${HNSW.efConstruction}) WHERE model = ${modelLiteral}`,
      );
    } finally {
      await conn`RESET maintenance_work_mem`.catch(() => undefined);
      await conn`RESET statement_timeout`.catch(() => undefined);
      await conn`SELECT pg_advisory_unlock(hashtext(${name}))`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

/**
 * HNSW search settings for the rest of the caller's transaction, in one round trip: ef_search, an iterative scan
 * that keeps going when filters reject candidates (results slightly out of order; sort them), and a plan made for
 * this query's arguments. The driver prepares statements, and after five executions PostgreSQL may keep a generic
 * plan until the next ANALYZE of the tables; one made while they were nearly empty made every search of the soak
 * benchmark take seconds of CPU at a few thousand rows (autovacuum off on that server, so no ANALYZE ever came),
 * where the same statement planned afresh took milliseconds.
 */
export async function setHnswSearch(tx: Sql): Promise<void> {
  await tx`SELECT set_config('hnsw.ef_search', ${String(HNSW.efSearch)}, true),
                  set_config('hnsw.iterative_scan', 'relaxed_order', true),
                  set_config('plan_cache_mode', 'force_custom_plan', true)`;
}
