import { HashEmbeddingProvider } from '../../src/embeddings/hash.provider.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { describeRetrievalQuality } from '../contract/search.contract.js';

// The hash provider is not semantic: this checks the fusion never makes hybrid worse than either list alone.
describeRetrievalQuality('sqlite, hash provider', async () => ({
  store: new SqliteStore(),
  embedder: new HashEmbeddingProvider(),
  cleanup: async () => {},
}));
