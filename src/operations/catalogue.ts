import type { QueryLimits } from '../analytics/analytics-query.js';
import type { Config } from '../config/config.schema.js';
import { analyticsOperations } from './analytics.operations.js';
import { codeGraphOperations } from './code-graph.operations.js';
import { deadLetterOperations } from './dead-letter.operations.js';
import { exportOperations } from './export.operations.js';
import { healthOperations } from './health.operations.js';
import { historyOperations } from './history.operations.js';
import { indexingOperations } from './indexing.operations.js';
import { lifecycleOperations } from './lifecycle.operations.js';
import { messageOperations } from './message.operations.js';
import type { Operation } from './operation.js';
import { patternOperations } from './pattern.operations.js';
import { qualityOperations } from './quality.operations.js';
import { reflectionOperations } from './reflection.operations.js';
import { reflectionTransferOperations } from './reflection-transfer.operations.js';
import { tracedOperation } from './run-operation.js';
import { searchOperations } from './search.operations.js';
import { sessionOperations } from './session.operations.js';
import { snapshotOperations } from './snapshot.operations.js';
import { summaryOperations } from './summary.operations.js';
import { syncOperations } from './sync.operations.js';

/**
 * Every operation of the service, in the order REST mounts them (a fixed path such as `/v1/reflections/stats`
 * before `/v1/reflections/:id`). A new capability adds one `<name>.operations.ts` and one line here.
 * `analyticsCaps`: the configured `query_analytics` caps its description states. (Default: the config defaults)
 */
export function buildCatalogue(limits: Config['limits'], analyticsCaps?: QueryLimits): Operation[] {
  const operations = [
    ...sessionOperations(limits),
    ...messageOperations(limits),
    ...lifecycleOperations(limits),
    ...codeGraphOperations(limits),
    ...qualityOperations(limits),
    ...exportOperations(),
    ...historyOperations(),
    ...summaryOperations(),
    ...analyticsOperations(analyticsCaps),
    ...deadLetterOperations(),
    ...syncOperations(),
    ...snapshotOperations(),
    // Before the reflection group: GET /v1/reflections/export is not an id for GET /v1/reflections/:id.
    ...reflectionTransferOperations(limits),
    ...reflectionOperations(limits),
    ...searchOperations(),
    ...indexingOperations(),
    ...patternOperations(limits),
    ...healthOperations(),
  ];
  assertUnique(operations);
  return operations.map(tracedOperation);
}

function assertUnique(operations: readonly Operation[]): void {
  const seen = new Set<string>();
  for (const op of operations) {
    for (const key of [op.name, op.rest && `${op.rest.method} ${op.rest.path}`, op.rest?.operationId]) {
      if (!key) continue;
      if (seen.has(key)) throw new Error(`operation catalogue: '${key}' is declared twice`);
      seen.add(key);
    }
  }
}
