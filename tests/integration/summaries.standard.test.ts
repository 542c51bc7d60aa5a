import { describeSummaries } from '../contract/summaries.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describeSummaries('standard (PostgreSQL, BullMQ on Redis)', (overrides) =>
  standardApplication('summaries', { ...overrides, workers: { inProcess: true } }),
);
