import { createHash } from 'node:crypto';

/**
 * Dialect-neutral helpers for the search queries. Anything here that ends up inside SQL text (not as a
 * bound parameter) is validated first: model ids go into partial-index predicates and index names.
 */

const MODEL_ID = /^[\w.:/@+-]{1,200}$/;

export function assertModelId(model: string): string {
  if (!MODEL_ID.test(model)) throw new Error(`invalid embedding model id '${model}'`);
  return model;
}

export function assertDimension(dim: number): number {
  if (!Number.isInteger(dim) || dim < 1 || dim > 16_000) throw new Error(`invalid vector dimension ${dim}`);
  return dim;
}

/** The model id as a SQL string literal (validated, quotes doubled), for partial-index predicates. */
export function modelLiteral(model: string): string {
  return `'${assertModelId(model).replaceAll("'", "''")}'`;
}

/**
 * A PostgreSQL identifier for the HNSW index of one table, model and dimension: a readable slug plus a
 * short hash, so distinct models never collide after slugging and the name stays under 63 bytes.
 */
export function vectorIndexName(table: string, model: string, dim: number): string {
  assertModelId(model);
  assertDimension(dim);
  if (!/^[a-z_]{1,30}$/.test(table)) throw new Error(`invalid table name '${table}'`);
  const slug = model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 16);
  const hash = createHash('sha256').update(`${model}\u0000${dim}`).digest('hex').slice(0, 8);
  return `${table}_hnsw_${slug}_${dim}_${hash}`.slice(0, 63);
}

const WORD = /[\p{L}\p{N}_]+/gu;

/**
 * User text as a safe FTS5 query: every word quoted (so `AND`, `NEAR`, `*`, `:` and quotes lose their
 * meaning) and the words OR-ed, so a paraphrase that shares some stems still matches; bm25 ranks documents
 * matching more and rarer words first. Undefined when the text holds no word.
 */
export function fts5Query(text: string): string | undefined {
  const words = [...new Set((text.match(WORD) ?? []).map((w) => w.toLowerCase()))].slice(0, 64);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"`).join(' OR ');
}

/**
 * Whether the text uses web-search syntax (quoted phrases, `-word`, `or`): then PostgreSQL gets
 * websearch_to_tsquery as written. Plain text is matched by any of its stems instead (OR), the same
 * as on SQLite, because requiring every word defeats paraphrased questions.
 */
export function usesWebSearchSyntax(text: string): boolean {
  return /"|(^|\s)-[\p{L}\p{N}]|\sor\s/iu.test(text);
}
