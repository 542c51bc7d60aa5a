import {
  bulkResultSchema as bulkSchema,
  deadLetterOutputSchema as deadLetterSchema,
  deadLetterPageSchema as pageSchema,
  queueStatsSchema as statsSchema,
} from '../../domain/dead-letter.model.js';
import {
  type DeadLetterService,
  deadLetterListSchema,
  deadLetterSelectionSchema,
} from '../../services/dead-letter.service.js';
import type { RouteDef } from '../route.js';

export function deadLetterRoutes(deadLetters: DeadLetterService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/v1/dead-letters',
      operationId: 'listDeadLetters',
      summary: 'List dead letters, newest first (filter by status, queue, job, error text, failure time)',
      tag: 'dead-letters',
      query: deadLetterListSchema,
      responses: { 200: { description: 'A page of dead letters and the total matching', schema: pageSchema } },
      handler: async (c, { principal, query }) => c.json(await deadLetters.list(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/dead-letters/:id',
      operationId: 'getDeadLetter',
      summary: 'Get one dead letter with its payload, error and stack',
      tag: 'dead-letters',
      responses: { 200: { description: 'The dead letter', schema: deadLetterSchema } },
      handler: async (c, { principal, params }) => c.json(await deadLetters.get(principal, params.id as string)),
    },
    {
      method: 'post',
      path: '/v1/dead-letters/:id/retry',
      operationId: 'retryDeadLetter',
      summary: 'Put one open dead letter back on its queue with fresh attempts',
      tag: 'dead-letters',
      responses: { 200: { description: 'What changed', schema: bulkSchema } },
      handler: async (c, { principal, params }) =>
        c.json(await deadLetters.retry(principal, { ids: [params.id as string] })),
    },
    {
      method: 'post',
      path: '/v1/dead-letters/retry',
      operationId: 'retryDeadLetters',
      summary: 'Retry open dead letters by ids, by filter, or all: {"ids":[…]} | {"filter":{…}} | {"all":true}',
      tag: 'dead-letters',
      body: deadLetterSelectionSchema,
      responses: { 200: { description: 'What changed', schema: bulkSchema } },
      handler: async (c, { principal, body }) => c.json(await deadLetters.retry(principal, body)),
    },
    {
      method: 'post',
      path: '/v1/dead-letters/discard',
      operationId: 'discardDeadLetters',
      summary: 'Discard open dead letters by ids, by filter, or all (they stay queryable as discarded)',
      tag: 'dead-letters',
      body: deadLetterSelectionSchema,
      responses: { 200: { description: 'What changed', schema: bulkSchema } },
      handler: async (c, { principal, body }) => c.json(await deadLetters.discard(principal, body)),
    },
    {
      method: 'get',
      path: '/v1/queues/stats',
      operationId: 'queueStats',
      summary: 'Jobs per queue and state, open dead letters per queue, outbox backlog and lag',
      tag: 'dead-letters',
      responses: { 200: { description: 'Queue statistics', schema: statsSchema } },
      handler: async (c, { principal }) => c.json(await deadLetters.queueStats(principal)),
    },
  ];
}
