import { createLogger } from '../../src/core/logger.js';
import { BullMqQueueBackend } from '../../src/queue/bullmq.backend.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { CONTRACT_POLICIES } from '../contract/queue.contract.js';
import { describeReconciler } from '../contract/reconciler.contract.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

describeReconciler('postgresql, BullMQ', async () => {
  const db = await createTestDatabase('reconciler');
  const store = new PostgresStore({ url: db.url });
  const prefix = randomPrefix('reconciler');
  const backend = new BullMqQueueBackend({
    url: REDIS_URL,
    prefix,
    policies: CONTRACT_POLICIES,
    logger: createLogger('silent'),
  });
  return {
    store,
    backend,
    cleanup: async () => {
      await backend.close();
      await store.close();
      await deleteRedisPrefix(REDIS_URL, prefix);
      await db.drop();
    },
  };
});
