import { describeDeletedSubject } from '../contract/deleted-subject.contract.js';
import { standardApplication } from '../helpers/standard-app.js';

describeDeletedSubject('standard (BullMQ on Redis, PostgreSQL)', (overrides) =>
  standardApplication('deleted-subject', overrides),
);
