import { createLogger } from '../../src/core/logger.js';
import { InProcessQueueBackend } from '../../src/queue/in-process.backend.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { CONTRACT_POLICIES } from '../contract/queue.contract.js';
import { describeReconciler } from '../contract/reconciler.contract.js';

describeReconciler('sqlite, in-process queue', async () => {
  const store = new SqliteStore();
  const backend = new InProcessQueueBackend({ policies: CONTRACT_POLICIES, logger: createLogger('silent') });
  return {
    store,
    backend,
    cleanup: async () => {
      await backend.close();
      await store.close();
    },
  };
});
