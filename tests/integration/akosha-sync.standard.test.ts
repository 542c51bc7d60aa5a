import { describeAkoshaSync } from '../contract/akosha-sync.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describeAkoshaSync('standard (PostgreSQL, BullMQ on Redis)', (overrides) =>
  standardApplication('akosha', { ...overrides, workers: { inProcess: true } }),
);
