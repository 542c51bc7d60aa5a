import { describeQuality } from '../contract/quality.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describeQuality('standard (PostgreSQL, BullMQ on Redis)', () =>
  standardApplication('quality', { workers: { inProcess: true } }),
);
