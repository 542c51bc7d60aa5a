/**
 * Fast bulk loading of a reflection corpus with its vectors, straight into the store's tables (COPY on
 * PostgreSQL, one prepared statement in one transaction on SQLite): going through
 * ReflectionService.storeReflection would take minutes at 100k and measure writes, not search.
 * The rows are the ones the repositories write (same columns, same encodings).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { uuidv7 } from '../../src/core/ids.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import type { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import type { Sql } from '../../src/repositories/postgres/sql.js';
import type { Db } from '../../src/repositories/sqlite/db.js';
import { toBlob } from '../../src/repositories/sqlite/db.js';
import type { CorpusItem } from './corpus.js';

/** The corpus as stored: ids in corpus order and every vector in one row-major matrix. */
export interface EmbeddedCorpus {
  items: CorpusItem[];
  ids: string[];
  model: string;
  dim: number;
  /** items.length × dim, unit vectors. */
  vectors: Float32Array;
}

/** Embeds the corpus through the embedding service (batched as configured), in slices to bound memory. */
export async function embedCorpus(
  items: CorpusItem[],
  embedder: EmbeddingService,
  onProgress?: (done: number) => void,
): Promise<EmbeddedCorpus> {
  const dim = embedder.dimension;
  const vectors = new Float32Array(items.length * dim);
  const slice = 1024;
  for (let i = 0; i < items.length; i += slice) {
    const part = await embedder.embed(items.slice(i, i + slice).map((item) => item.content));
    part.forEach((v, j) => {
      vectors.set(v, (i + j) * dim);
    });
    onProgress?.(Math.min(items.length, i + slice));
  }
  return { items, ids: items.map(() => uuidv7()), model: embedder.model, dim, vectors };
}

export function vectorAt(corpus: EmbeddedCorpus, index: number): Float32Array {
  return corpus.vectors.subarray(index * corpus.dim, (index + 1) * corpus.dim);
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
export function copyField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function pgTextArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** pgvector's text form; 9 significant digits round-trip a float32 exactly. */
function pgVector(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    out += `${i ? ',' : ''}${x === 0 ? '0' : x.toPrecision(9)}`;
  }
  return `${out}]`;
}

export async function copyRows(sql: Sql, statement: string, rows: () => Iterable<string>): Promise<void> {
  const writable = await sql.unsafe(statement).writable();
  function* chunks(): Generator<string> {
    let buffer = '';
    for (const row of rows()) {
      buffer += row;
      if (buffer.length > 1 << 20) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(chunks()), writable);
}

/** COPYs reflections and their vectors into an empty, migrated PostgreSQL database. */
export async function bulkLoadPostgres(sql: Sql, tenantId: string, corpus: EmbeddedCorpus): Promise<void> {
  const { items, ids } = corpus;
  await copyRows(
    sql,
    `COPY reflections (id, tenant_id, project, session_id, content, content_hash, tags, importance, metadata,
                       created_at, updated_at) FROM STDIN`,
    function* () {
      for (let i = 0; i < items.length; i++) {
        const r = items[i] as CorpusItem;
        yield [
          ids[i],
          copyField(tenantId),
          copyField(r.project),
          '\\N',
          copyField(r.content),
          contentHash(r.content),
          copyField(pgTextArray(r.tags)),
          String(r.importance),
          '{}',
          r.createdAt,
          r.createdAt,
        ].join('\t');
        yield '\n';
      }
    },
  );
  await copyRows(
    sql,
    'COPY reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at) FROM STDIN',
    function* () {
      for (let i = 0; i < items.length; i++) {
        const r = items[i] as CorpusItem;
        yield `${ids[i]}\t${copyField(tenantId)}\t${copyField(corpus.model)}\t${corpus.dim}\t${pgVector(vectorAt(corpus, i))}\t${r.createdAt}\n`;
      }
    },
  );
}

/** Inserts reflections (the FTS triggers index them) and their vectors in one transaction. */
export function bulkLoadSqlite(db: Db, tenantId: string, corpus: EmbeddedCorpus): void {
  const insertReflection = db.prepare(`
    INSERT INTO reflections (id, tenant_id, project, session_id, content, content_hash, tags, importance, metadata,
                             created_at, updated_at)
    VALUES (?, ?, ?, NULL, ?, ?, ?, ?, '{}', ?, ?)`);
  const insertVector = db.prepare(`
    INSERT INTO reflection_embeddings (reflection_id, tenant_id, model, dim, embedding, created_at)
    VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    corpus.items.forEach((r, i) => {
      const id = corpus.ids[i] as string;
      insertReflection.run(
        id,
        tenantId,
        r.project,
        r.content,
        contentHash(r.content),
        JSON.stringify(r.tags),
        r.importance,
        r.createdAt,
        r.createdAt,
      );
      insertVector.run(id, tenantId, corpus.model, corpus.dim, toBlob(vectorAt(corpus, i)), r.createdAt);
    });
  })();
}
