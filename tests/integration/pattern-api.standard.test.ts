import { describePatternApi, PATTERN_API_CONFIG } from '../contract/pattern-api.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describePatternApi('standard (BullMQ on Redis, PostgreSQL)', () =>
  standardApplication('patterns-api', { ...PATTERN_API_CONFIG, workers: { inProcess: true } }),
);
