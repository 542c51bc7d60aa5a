import { createHash } from 'node:crypto';
import { queryWords } from './query-words.js';

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

/**
 * User text as a safe FTS5 query: its words (queryWords: stop words dropped) each quoted, so `AND`, `NEAR`, `*`,
 * `:` and quotes lose their meaning, and OR-ed, so a paraphrase that shares some stems still matches; bm25 ranks
 * documents matching more and rarer words first. Undefined when the text holds no word but stop words.
 */
export function fts5Query(text: string): string | undefined {
  const words = queryWords(text);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"`).join(' OR ');
}
