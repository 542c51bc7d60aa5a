import { indexingQuerySchema, indexingStatusSchema } from '../domain/indexing.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

/** Whether messages are searchable by meaning yet: embedding coverage, with a bounded wait. */
export function indexingOperations(): Operation[] {
  return [
    defineOperation({
      name: 'get_indexing_status',
      title: 'Indexing status',
      description:
        'How many messages of a session, a project or every session are searchable by meaning (embedded with the ' +
        'model search uses) and how many are pending; waitMs waits (at most 30 s) until all are.',
      input: indexingQuerySchema,
      output: indexingStatusSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/indexing',
        operationId: 'getIndexingStatus',
        tag: 'search',
        responses: {
          200: { description: 'Embedding coverage of the messages in scope', schema: indexingStatusSchema },
        },
      },
      run: ({ services, principal }, input) => services.search.indexing(principal, input),
      summary: (s) =>
        `${s.embedded} of ${s.messages} messages searchable by meaning${s.complete ? '' : ` (${s.pending} pending)`}.`,
    }),
  ];
}
