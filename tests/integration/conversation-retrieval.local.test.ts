import { createEmbeddingProvider } from '../../src/embeddings/embedding.factory.js';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeConversationRetrieval } from '../contract/conversation-retrieval.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase } from '../helpers/pg.js';

// The shipped local model (USE lite) on the labelled conversations (tests/fixtures/conversation-retrieval.json),
// both stores, against the plain FTS5 baseline computed in the same run.
function localEmbedder(): EmbeddingService {
  const config = testConfig({ embedding: { provider: 'local' } }).embedding;
  return new EmbeddingService(createEmbeddingProvider(config), { batchSize: 32, batchWaitMs: 5, chunkChars: 2_000 });
}

describeConversationRetrieval('sqlite, local model', async () => ({
  store: new SqliteStore(),
  embedder: localEmbedder(),
  cleanup: async () => {},
}));

describeConversationRetrieval('postgresql, local model', async () => {
  const db = await createTestDatabase('conversations_local');
  return { store: new PostgresStore({ url: db.url }), embedder: localEmbedder(), cleanup: () => db.drop() };
});
