import { toSql } from 'pgvector';
import type postgres from 'postgres';
import { pathMentionPattern } from '../../domain/search.model.js';
import type { SearchFilters, SearchKind, TextHit, VectorHit } from '../search.port.js';
import { assertDimension, modelLiteral, usesWebSearchSyntax, vectorIndexName } from '../search-sql.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';
import { createHnswIndex, setHnswSearch } from './vector-table.js';

type Fragment = postgres.Fragment;

/** Tag conditions on `<alias>.tags` (text[], GIN-indexed): any of `tagsAny`, all of `tagsAll`. AND-prefixed. */
export function tagFilters(sql: Sql, alias: 'r' | 'p', f: { tagsAny?: string[]; tagsAll?: string[] }): Fragment {
  return sql`
    ${f.tagsAny?.length ? sql`AND ${sql(alias)}.tags && ${f.tagsAny}::text[]` : sql``}
    ${f.tagsAll?.length ? sql`AND ${sql(alias)}.tags @> ${f.tagsAll}::text[]` : sql``}`;
}

/** Filters on `reflections r`, as AND-prefixed conditions; every value is a bound parameter. */
export function reflectionFilters(sql: Sql, f: SearchFilters): Fragment {
  return sql`
    ${f.project === undefined ? sql`` : sql`AND r.project = ${f.project}`}
    ${f.sessionId === undefined ? sql`` : sql`AND r.session_id = ${f.sessionId}`}
    ${tagFilters(sql, 'r', f)}
    ${f.from === undefined ? sql`` : sql`AND r.created_at >= ${f.from}`}
    ${f.to === undefined ? sql`` : sql`AND r.created_at < ${f.to}`}`;
}

/**
 * Filters on `messages m` of `tenantId` (project through its session, found by the (tenant_id, project, …) index;
 * messages have no tags).
 */
export function messageFilters(sql: Sql, tenantId: string, f: SearchFilters): Fragment {
  return sql`
    ${f.project === undefined ? sql`` : sql`AND m.session_id IN (SELECT id FROM sessions WHERE tenant_id = ${tenantId} AND project = ${f.project})`}
    ${f.sessionId === undefined ? sql`` : sql`AND m.session_id = ${f.sessionId}`}
    ${f.from === undefined ? sql`` : sql`AND m.created_at >= ${f.from}`}
    ${f.to === undefined ? sql`` : sql`AND m.created_at < ${f.to}`}`;
}

/**
 * A stem counts as common when ANALYZE found it in more than this share of the table's rows and in more than
 * COMMON_STEM_ROWS rows: at 100k rows, 2% is 2,000 rows to rank for one word; on a small table nothing is common.
 */
const COMMON_STEM_SHARE = 0.02;
const COMMON_STEM_ROWS = 1_000;

/**
 * The query's stems joined by OR, minus common stems (pg_stats.most_common_elems of the `search` column). A stem
 * in a quarter of all rows barely ranks anything (ts_rank_cd has no IDF), yet ORing it in makes the query match
 * and rank that quarter: at 100k reflections, hundreds of milliseconds. When every stem is common the query asks
 * for all of them (AND) instead. A table never analysed, or a small one, keeps the plain any-stem query.
 */
function anyRareStem(sql: Sql, table: 'reflections' | 'messages', text: string): Fragment {
  return sql`(
    WITH stems AS (
      SELECT DISTINCT lexeme FROM unnest(tsvector_to_array(to_tsvector('english', ${text}))) AS lexeme
    ), common AS (
      SELECT e.lexeme
      FROM pg_stats s
      JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = current_schema()::regnamespace,
      unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(lexeme, share)
      WHERE s.schemaname = current_schema() AND s.tablename = ${table} AND s.attname = 'search'
        AND e.lexeme IS NOT NULL AND e.share > ${COMMON_STEM_SHARE} AND e.share * c.reltuples > ${COMMON_STEM_ROWS}
    ), kept AS (
      SELECT lexeme FROM stems WHERE lexeme NOT IN (SELECT lexeme FROM common)
    )
    SELECT CASE
      WHEN EXISTS (SELECT 1 FROM kept) THEN (SELECT string_agg(quote_literal(lexeme), ' | ') FROM kept)::tsquery
      WHEN EXISTS (SELECT 1 FROM common) THEN plainto_tsquery('english', ${text})
      ELSE replace(plainto_tsquery('english', ${text})::text, '&', '|')::tsquery END)`;
}

export async function pgTextSearch(
  sql: Sql,
  kind: SearchKind,
  tenantId: string,
  text: string,
  filters: SearchFilters,
  limit: number,
): Promise<TextHit[]> {
  // Plain text matches any of its stems (ranked by how many and how close); web-search syntax is honoured as typed.
  const tsquery = usesWebSearchSyntax(text)
    ? sql`websearch_to_tsquery('english', ${text})`
    : anyRareStem(sql, kind === 'reflection' ? 'reflections' : 'messages', text);
  const rows =
    kind === 'reflection'
      ? await sql<{ id: string; rank: number }[]>`
          SELECT r.id, ts_rank_cd(r.search, x.q) AS rank
          FROM reflections r, (SELECT ${tsquery} AS q) x
          WHERE r.tenant_id = ${tenantId} AND r.search @@ x.q ${reflectionFilters(sql, filters)}
          ORDER BY rank DESC, r.id LIMIT ${limit}`
      : await sql<{ id: string; rank: number }[]>`
          SELECT m.id, ts_rank_cd(m.search, x.q) AS rank
          FROM messages m, (SELECT ${tsquery} AS q) x
          WHERE m.tenant_id = ${tenantId} AND m.search @@ x.q ${messageFilters(sql, tenantId, filters)}
          ORDER BY rank DESC, m.id LIMIT ${limit}`;
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
}

export async function pgVectorSearch(
  sql: Sql,
  kind: SearchKind,
  tenantId: string,
  vector: Float32Array,
  model: string,
  filters: SearchFilters,
  k: number,
): Promise<VectorHit[]> {
  const dim = assertDimension(vector.length);
  // The typmod and the model are literals so the planner can match the per-model partial HNSW index
  // (a bound parameter could not prove its predicate); both are validated first.
  const typed = sql.unsafe(`embedding::vector(${dim})`);
  const cast = sql.unsafe(`::vector(${dim})`);
  const model_ = sql.unsafe(modelLiteral(model));
  const q = toSql(Array.from(vector)) as string;
  const rows = await transaction(sql, async (tx) => {
    await setHnswSearch(tx);
    return kind === 'reflection'
      ? tx<{ id: string; d: number }[]>`
          SELECT e.reflection_id AS id, e.${typed} <=> ${q}${cast} AS d
          FROM reflection_embeddings e JOIN reflections r ON r.id = e.reflection_id
          WHERE e.model = ${model_} AND e.dim = ${dim} AND e.tenant_id = ${tenantId}
            AND r.tenant_id = ${tenantId} ${reflectionFilters(sql, filters)}
          ORDER BY e.${typed} <=> ${q}${cast} LIMIT ${k}`
      : tx<{ id: string; d: number }[]>`
          SELECT e.message_id AS id, e.${typed} <=> ${q}${cast} AS d
          FROM message_embeddings e JOIN messages m ON m.id = e.message_id
          WHERE e.model = ${model_} AND e.dim = ${dim} AND e.tenant_id = ${tenantId}
            AND m.tenant_id = ${tenantId} ${messageFilters(sql, tenantId, filters)}
          ORDER BY e.${typed} <=> ${q}${cast} LIMIT ${k}`;
  });
  // relaxed_order may return neighbours slightly out of order.
  return rows.map((r) => ({ id: r.id, similarity: 1 - Number(r.d) })).sort((a, b) => b.similarity - a.similarity);
}

/** A LIKE pattern matching `text` anywhere, its wildcards (and the escape character) escaped. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Ids of items whose content mentions `path` (pathMentionPattern), newest first. Full-text search splits
 * paths into words, so this scans: an escaped LIKE narrows, the regular expression (`~`, ARE) decides.
 */
export async function pgPathMentions(
  sql: Sql,
  kind: SearchKind,
  tenantId: string,
  path: string,
  filters: SearchFilters,
  limit: number,
): Promise<string[]> {
  const like = likeContains(path);
  const pattern = pathMentionPattern(path);
  const rows =
    kind === 'reflection'
      ? await sql<{ id: string }[]>`
          SELECT r.id FROM reflections r
          WHERE r.tenant_id = ${tenantId} AND r.content LIKE ${like} ESCAPE '\\' AND r.content ~ ${pattern}
            ${reflectionFilters(sql, filters)}
          ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit}`
      : await sql<{ id: string }[]>`
          SELECT m.id FROM messages m
          WHERE m.tenant_id = ${tenantId} AND m.content LIKE ${like} ESCAPE '\\' AND m.content ~ ${pattern}
            ${messageFilters(sql, tenantId, filters)}
          ORDER BY m.created_at DESC, m.id DESC LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

/**
 * One partial HNSW index per table, model and dimension (a valid one is left alone; see createHnswIndex). Callers
 * ask once per model (SearchService remembers), so this always checks.
 */
export async function ensurePgVectorIndex(sql: Sql, model: string, dim: number): Promise<void> {
  for (const table of ['reflection_embeddings', 'message_embeddings'] as const) {
    const name = vectorIndexName(table, model, assertDimension(dim));
    await createHnswIndex(sql, table, name, modelLiteral(model), dim);
  }
}
