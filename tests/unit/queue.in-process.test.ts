import { createLogger } from '../../src/core/logger.js';
import { InProcessQueueBackend } from '../../src/queue/in-process.backend.js';
import { describeQueueContract } from '../contract/queue.contract.js';

describeQueueContract(
  'in-process',
  async (policies) => new InProcessQueueBackend({ policies, logger: createLogger('silent') }),
);
