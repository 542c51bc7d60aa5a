import { createEmbeddingProvider } from '../../src/embeddings/embedding.factory.js';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeHybridFusion } from '../contract/hybrid-fusion.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase } from '../helpers/pg.js';

// The shipped local model (USE lite): the failure modes need a model that knows meaning.
function localEmbedder(): EmbeddingService {
  const config = testConfig({ embedding: { provider: 'local' } }).embedding;
  return new EmbeddingService(createEmbeddingProvider(config), { batchSize: 32, batchWaitMs: 5, chunkChars: 2_000 });
}

describeHybridFusion('sqlite, local model', async () => ({
  store: new SqliteStore(),
  embedder: localEmbedder(),
  cleanup: async () => {},
}));

describeHybridFusion('postgresql, local model', async () => {
  const db = await createTestDatabase('fusion_local');
  return { store: new PostgresStore({ url: db.url }), embedder: localEmbedder(), cleanup: () => db.drop() };
});
