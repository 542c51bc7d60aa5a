import { describe, expect, it } from 'vitest';
import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { vectorIndexName } from '../../src/repositories/search-sql.js';
import { describeRetrievalQuality } from '../contract/search.contract.js';
import { createTestDatabase } from '../helpers/pg.js';

describeRetrievalQuality('postgresql, hash provider', async () => {
  const db = await createTestDatabase('quality');
  return { store: new PostgresStore({ url: db.url }), embedder: new HashEmbeddingProvider(), cleanup: () => db.drop() };
});

describe('pgvector HNSW index per model', () => {
  it('ensureVectorIndex makes one valid partial index per table and model, and the k-NN query can use it', async () => {
    const db = await createTestDatabase('hnsw');
    const store = new PostgresStore({ url: db.url });
    try {
      await store.migrate();
      await store.reflections.ensureVectorIndex('ollama/nomic-embed-text:v1.5', 8);
      await store.reflections.ensureVectorIndex('ollama/nomic-embed-text:v1.5', 8);
      await expect(store.reflections.ensureVectorIndex('bad model; drop table x', 8)).rejects.toThrow(/invalid/);
      const indexes = await store.sql<{ indexname: string; indexdef: string }[]>`
        SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%hnsw%' ORDER BY indexname`;
      expect(indexes.map((i) => i.indexname)).toEqual([
        vectorIndexName('message_embeddings', 'ollama/nomic-embed-text:v1.5', 8),
        vectorIndexName('reflection_embeddings', 'ollama/nomic-embed-text:v1.5', 8),
      ]);
      expect(indexes[1]?.indexdef).toContain("WHERE (model = 'ollama/nomic-embed-text:v1.5'::text)");
      const plan = await store.sql.begin(async (tx) => {
        // An empty table makes any plan cheap: take the alternatives away to see whether the index fits the query.
        await tx`SET LOCAL enable_seqscan = off`;
        await tx`SET LOCAL enable_bitmapscan = off`;
        await tx`SET LOCAL enable_sort = off`;
        return tx.unsafe(`EXPLAIN SELECT reflection_id FROM reflection_embeddings
          WHERE model = 'ollama/nomic-embed-text:v1.5' AND dim = 8
          ORDER BY embedding::vector(8) <=> '[1,0,0,0,0,0,0,0]'::vector(8) LIMIT 5`);
      });
      expect(JSON.stringify(plan)).toContain(
        vectorIndexName('reflection_embeddings', 'ollama/nomic-embed-text:v1.5', 8),
      );
      // The tuned build parameters are on the index.
      expect(indexes[1]?.indexdef).toMatch(/ef_construction='256'/);

      // An interrupted concurrent build leaves an invalid index; the next process to ensure it builds it again.
      const name = vectorIndexName('reflection_embeddings', 'ollama/nomic-embed-text:v1.5', 8);
      await store.sql`UPDATE pg_index SET indisvalid = false WHERE indexrelid = ${name}::regclass`;
      const next = new PostgresStore({ url: db.url });
      try {
        await next.reflections.ensureVectorIndex('ollama/nomic-embed-text:v1.5', 8);
      } finally {
        await next.close();
      }
      const [rebuilt] = await store.sql<{ valid: boolean }[]>`
        SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = ${name}::regclass`;
      expect(rebuilt?.valid).toBe(true);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
