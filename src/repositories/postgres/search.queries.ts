import { toSql } from 'pgvector';
import type postgres from 'postgres';
import { pathMentionPattern } from '../../domain/search.model.js';
import { queryWords } from '../query-words.js';
import type { SearchFilters, SearchKind, TextHit, VectorHit } from '../search.port.js';
import { assertDimension, modelLiteral, vectorIndexName } from '../search-sql.js';
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

/** From this many rows (ANALYZE's estimate) an unfiltered reflection search estimates N instead of counting. */
const LARGE_TABLE_ROWS = 20_000;

/**
 * Term frequencies are read (unnest of the row's tsvector, the costly part) only for a shortlist: the hits ranked by
 * BM25 with each term counted once, at least SHORTLIST_MIN of them or SHORTLIST_FACTOR × limit. On 3,000 messages
 * whose words each match a third of them, counting tf over every hit doubled the query's time (p50 4.4 → 8.3 ms).
 */
const SHORTLIST_MIN = 200;
const SHORTLIST_FACTOR = 4;

/** A lexeme as a tsquery operand: quoted, so that no character of it is read as syntax. */
function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** BM25 term-frequency saturation and length normalisation (the usual values, as FTS5's bm25()). */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/**
 * Full-text hits ranked by BM25, the same query semantics as SQLite's FTS5: the text's words (queryWords: syntax
 * and stop words dropped), stemmed by the `english` configuration, any of them matching (OR).
 *
 * Term statistics are those of the search scope (tenant and filters, e.g. one project): N counts the scope's
 * rows (for messages, the sum of the sessions' message counts, time filters aside), a term's document
 * frequency the matching rows holding it, the average length is the matching rows' (in distinct stems, what a
 * tsvector keeps). A term's frequency in a row is its number of positions: counting it once (tf = 1) ranked a
 * passing mention level with the message about the word, and kept keyword search below the plain FTS5 baseline on
 * the labelled retrieval set (hit@10 0.619 against 0.637 with tf, the baseline 0.632). Text is indexed as words
 * (migration 0014: ASCII punctuation separates words, as FTS5's unicode61 and queryWords do). Each hit's coverage
 * is the idf of the query terms it holds over the idf of all of them (a term no row holds weighs the most).
 *
 * Stems that ANALYZE found in a large share of the table (pg_stats.most_common_elems of `search`) do not widen
 * the match: ORing a stem in a quarter of all rows makes the query match and rank that quarter (hundreds of
 * milliseconds at 100k rows) for a term BM25 barely weighs. When every stem is common they are all required
 * (AND) instead. A table never analysed, or a small one, keeps the plain any-stem query.
 */
export async function pgTextSearch(
  sql: Sql,
  kind: SearchKind,
  tenantId: string,
  text: string,
  filters: SearchFilters,
  limit: number,
): Promise<TextHit[]> {
  const words = queryWords(text);
  if (words.length === 0) return [];
  const table = kind === 'reflection' ? 'reflections' : 'messages';
  const from = sql.unsafe(kind === 'reflection' ? 'reflections r' : 'messages m');
  const a = sql.unsafe(kind === 'reflection' ? 'r' : 'm');
  const where = kind === 'reflection' ? reflectionFilters(sql, filters) : messageFilters(sql, tenantId, filters);
  // N, the rows in scope: messages count through their sessions' message_count (time filters aside), which
  // spares counting a project's messages row by row. Reflections are counted, except a large table searched
  // without a project or session filter: counting 100k index entries costs ~10 ms a query, so N is ANALYZE's
  // row estimate of the table there (an upper bound when several tenants share it).
  const narrowed = filters.project !== undefined || filters.sessionId !== undefined;
  const scope =
    kind === 'reflection'
      ? narrowed
        ? sql`SELECT count(*) FROM reflections r WHERE r.tenant_id = ${tenantId} ${where}`
        : sql`SELECT CASE WHEN c.reltuples >= ${LARGE_TABLE_ROWS}::float8 THEN c.reltuples
                ELSE (SELECT count(*) FROM reflections r WHERE r.tenant_id = ${tenantId} ${where}) END
              FROM pg_class c WHERE c.oid = 'reflections'::regclass`
      : sql`SELECT coalesce(sum(s.message_count), 0) FROM sessions s WHERE s.tenant_id = ${tenantId}
            ${filters.project === undefined ? sql`` : sql`AND s.project = ${filters.project}`}
            ${filters.sessionId === undefined ? sql`` : sql`AND s.id = ${filters.sessionId}`}`;
  const [chosen] = await sql<{ terms: string[] | null; any: boolean }[]>`
    WITH stems AS (
      SELECT DISTINCT lexeme FROM unnest(tsvector_to_array(to_tsvector('english', ${words.join(' ')}))) AS lexeme
    ), common AS (
      SELECT e.lexeme
      FROM pg_stats s
      JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = current_schema()::regnamespace,
      unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(lexeme, share)
      WHERE s.schemaname = current_schema() AND s.tablename = ${table} AND s.attname = 'search'
        AND e.lexeme IS NOT NULL AND e.share > ${COMMON_STEM_SHARE}::float8 AND e.share * c.reltuples > ${COMMON_STEM_ROWS}
    ), kept AS (
      SELECT lexeme FROM stems WHERE lexeme NOT IN (SELECT lexeme FROM common)
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM kept) THEN (SELECT array_agg(lexeme ORDER BY lexeme) FROM kept)
                ELSE (SELECT array_agg(lexeme ORDER BY lexeme) FROM stems) END AS terms,
           EXISTS (SELECT 1 FROM kept) AS any`;
  // Stemming can leave nothing (a query of words the parser drops). queryWords keeps at most 64 words.
  const terms = chosen?.terms ?? [];
  if (terms.length === 0) return [];
  // Which terms each hit holds (`has`, one boolean per term) is found in the pass that fetches the hits; document
  // frequencies, idf and each hit's held weight are then array arithmetic, with no subquery per hit or per term
  // (the search benchmark's 200 queries over 100,000 reflections, old and new side by side: p95 16.4–17.0 → 12.1–12.5
  // ms, identical answers). The expressions are written per term index; every value in them is a bound parameter.
  const each = (f: (i: number) => string, sep = ', ') =>
    sql.unsafe(Array.from({ length: terms.length }, (_, i) => f(i + 1)).join(sep));
  const has = terms.map((t) => sql`${a}.search @@ ${quoteLexeme(t)}::tsquery`);
  const rows = await sql<{ id: string; rank: number; coverage: number }[]>`
    WITH x AS (
      SELECT array_to_string(${terms.map(quoteLexeme)}::text[], ${chosen?.any ? ' | ' : ' & '})::tsquery AS q
    ), hits AS MATERIALIZED (
      SELECT ${a}.id, ${a}.search, ARRAY[${has.reduce((acc, h) => sql`${acc}, ${h}`)}] AS has
      FROM ${from}, x
      WHERE ${a}.tenant_id = ${tenantId} AND ${a}.search @@ x.q ${where}
    ), stats AS MATERIALIZED (
      SELECT (${scope})::float8 AS n, greatest(avg(length(h.search)), 1)::float8 AS dl,
        ARRAY[${each((i) => `count(*) FILTER (WHERE h.has[${i}])`)}]::float8[] AS df
      FROM hits h
    ), idf AS MATERIALIZED (
      SELECT ARRAY[${each((i) => `ln(1 + (greatest(s.n, s.df[${i}]) - s.df[${i}] + 0.5) / (s.df[${i}] + 0.5))`)}] AS w
      FROM stats s
    ), query_weight AS MATERIALIZED (
      SELECT greatest(${each((i) => `w[${i}]`, ' + ')}, 1e-9) AS w FROM idf
    ), shortlist AS MATERIALIZED (
      SELECT h.id, h.search, h.held FROM (
        SELECT h.id, h.search, ${each((i) => `h.has[${i}]::int * idf.w[${i}]`, ' + ')} AS held FROM hits h, idf
      ) h CROSS JOIN stats
      ORDER BY h.held / (1 + ${BM25_K1}::float8 * (${1 - BM25_B}::float8 + ${BM25_B}::float8 * length(h.search) / stats.dl)) DESC, h.id
      LIMIT ${Math.max(SHORTLIST_MIN, SHORTLIST_FACTOR * limit)}
    )
    SELECT h.id, max(h.held) / max(query_weight.w) AS coverage,
      sum(t.w
        * u.tf * ${BM25_K1 + 1}::float8
        / (u.tf + ${BM25_K1}::float8 * (${1 - BM25_B}::float8 + ${BM25_B}::float8 * length(h.search) / stats.dl))) AS rank
    FROM shortlist h
    CROSS JOIN LATERAL (
      SELECT v.lexeme, coalesce(array_length(v.positions, 1), 1)::float8 AS tf FROM unnest(h.search) v
    ) u
    JOIN (SELECT t.lexeme, t.w FROM idf, unnest(${terms}::text[], idf.w) AS t(lexeme, w)) t ON t.lexeme = u.lexeme
    CROSS JOIN stats
    CROSS JOIN query_weight
    GROUP BY h.id
    ORDER BY rank DESC, h.id LIMIT ${limit}`;
  return rows.map((r) => ({ id: r.id, rank: Number(r.rank), coverage: Number(r.coverage) }));
}

/**
 * When a filtered search compares its scope exactly instead of walking the HNSW graph: while scope² ≤ EXACT_SCOPE_FACTOR
 * × the vectors in the table. The index finds the nearest vectors of the whole table and drops those the filters
 * reject, so its cost grows with table / scope; the exact comparison costs a lookup per item of the scope. Measured on
 * 100,000 reflections of the search benchmark's corpus (256-d, projects spread over the table; p50 per project of its
 * 200 queries, docs/benchmarks.md): index ≈ 4 ms + 100,000 / scope ms (2,675 items:
 * 43 ms; 8,042: 19 ms; 16,274: 10 ms), exact ≈ 2 ms + 3.5 µs per item (2,675: 12 ms; 6,487: 23 ms); they cross near
 * √(290 × table) items — 5,400 of 100,000, 17,000 of 1,000,000, 1,700 of 10,000.
 */
export const EXACT_SCOPE_FACTOR = 290;

/**
 * The same bound when the only filter is a project: the vectors table carries each item's project (migration 0015),
 * so the exact comparison reads the project's vectors through its own index with no lookup in the items table, about
 * 1.2 µs per item (same corpus, 2026-12-07: 4,642 items 7.0 ms, 8,042 11.0 ms, 10,620 13.2 ms, 16,274 17.9 ms against
 * 26.9, 18.8, 14.1 and 10.3 ms through the index). They cross near 11,000 of 100,000 items: √(1,000 × table).
 */
export const EXACT_PROJECT_SCOPE_FACTOR = 1000;

/** A project and nothing else narrows the search (the tenant always does). */
function isProjectOnly(f: SearchFilters): boolean {
  return f.project !== undefined && !isFiltered({ ...f, project: undefined });
}

function isFiltered(f: SearchFilters): boolean {
  return (
    f.project !== undefined ||
    f.sessionId !== undefined ||
    (f.tagsAny?.length ?? 0) > 0 ||
    (f.tagsAll?.length ?? 0) > 0 ||
    f.from !== undefined ||
    f.to !== undefined
  );
}

/**
 * Nearest vectors of `model` among the tenant's items that pass `filters`, by cosine distance, at most `k`. An
 * unfiltered search, or one whose scope is large (EXACT_SCOPE_FACTOR; EXACT_PROJECT_SCOPE_FACTOR when a project is
 * the only filter), uses the model's HNSW index (approximate); a smaller filtered scope is compared exactly, after
 * one more statement that counts it (up to the bound, through the filters' own indexes).
 */
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
  const reflection = kind === 'reflection';
  const where = reflection ? reflectionFilters(sql, filters) : messageFilters(sql, tenantId, filters);
  const items = sql.unsafe(reflection ? 'reflections r' : 'messages m');
  const item = sql.unsafe(reflection ? 'r' : 'm');
  const vectorTable = reflection ? 'reflection_embeddings' : 'message_embeddings';
  const vectors = sql.unsafe(vectorTable);
  const owner = sql.unsafe(reflection ? 'reflection_id' : 'message_id');
  // A filtered search's scope, compared exactly while small enough: a project alone is read from the vectors table
  // itself (its (tenant_id, project, model) index; no lookup in the items table); other filters find the items
  // first, then their vectors through the primary key with `= ANY` (ids sorted, probed in index order): 5–20% faster
  // at 3,000–8,000 items than a lookup per item in the items' order, and the planner cannot turn it into a hash join
  // over the whole vectors table (3–4× slower at 5,000 of 100,000).
  const scope = !isFiltered(filters)
    ? undefined
    : isProjectOnly(filters)
      ? {
          factor: EXACT_PROJECT_SCOPE_FACTOR,
          rows: sql`SELECT 1 FROM ${vectors} e
                    WHERE e.tenant_id = ${tenantId} AND e.project = ${filters.project as string} AND e.model = ${model_}`,
          vectors: sql`e.project = ${filters.project as string}`,
        }
      : {
          factor: EXACT_SCOPE_FACTOR,
          rows: sql`SELECT 1 FROM ${items} WHERE ${item}.tenant_id = ${tenantId} ${where}`,
          vectors: sql`e.${owner} = ANY(ARRAY(SELECT ${item}.id FROM ${items} WHERE ${item}.tenant_id = ${tenantId} ${where}))`,
        };
  const rows = await transaction(sql, async (tx) => {
    await setHnswSearch(tx);
    if (scope) {
      // The bound comes from the planner's estimate of the vectors in the table (pg_class.reltuples, set by ANALYZE
      // and by the index build). A table never analysed nor indexed has -1, a bound of 0: the index path.
      const [counted] = await tx<{ exact: boolean }[]>`
        WITH bound AS (
          SELECT floor(sqrt(${scope.factor}::float8 * greatest(c.reltuples, 0)))::int AS n
          FROM pg_class c WHERE c.oid = ${vectorTable}::regclass
        )
        SELECT (SELECT count(*) FROM (${scope.rows} LIMIT (SELECT n + 1 FROM bound)) x) <= (SELECT n FROM bound) AS exact`;
      if (counted?.exact) {
        // OFFSET 0 keeps the distances in a subquery, so the HNSW index cannot serve the ORDER BY.
        return tx<{ id: string; d: number }[]>`
          SELECT id, d FROM (
            SELECT e.${owner} AS id, e.${typed} <=> ${q}${cast} AS d FROM ${vectors} e
            WHERE e.model = ${model_} AND e.dim = ${dim} AND e.tenant_id = ${tenantId} AND ${scope.vectors}
            OFFSET 0) x
          ORDER BY d, id LIMIT ${k}`;
      }
    }
    return tx<{ id: string; d: number }[]>`
      SELECT e.${owner} AS id, e.${typed} <=> ${q}${cast} AS d
      FROM ${vectors} e JOIN ${items} ON ${item}.id = e.${owner}
      WHERE e.model = ${model_} AND e.dim = ${dim} AND e.tenant_id = ${tenantId}
        AND ${item}.tenant_id = ${tenantId} ${where}
      ORDER BY e.${typed} <=> ${q}${cast} LIMIT ${k}`;
  });
  // relaxed_order may return neighbours slightly out of order; equal distances are ordered by id, as in SQLite (a
  // second ORDER BY key in SQL would stop the HNSW index from serving the query).
  return rows
    .map((r) => ({ id: r.id, similarity: 1 - Number(r.d) }))
    .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
