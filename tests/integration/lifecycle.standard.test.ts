import { describeLifecycle } from '../contract/lifecycle.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describeLifecycle('standard (PostgreSQL, BullMQ on Redis)', () =>
  standardApplication('lifecycle', { workers: { inProcess: true } }),
);
