import { describePipeline } from '../contract/pipeline.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describePipeline('standard (BullMQ on Redis, PostgreSQL)', (overrides) => standardApplication('pipeline', overrides));
