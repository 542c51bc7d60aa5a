import { z } from 'zod';
import { idSchema } from '../domain/common.model.js';
import {
  bulkResultSchema,
  deadLetterListSchema,
  deadLetterOutputSchema,
  deadLetterPageSchema,
  deadLetterSelectionSchema,
  queueStatsSchema,
  toSelection,
} from '../domain/dead-letter.model.js';
import { defineOperation, moreNote, type Operation, READ } from './operation.js';

const deadLetterId = idSchema.describe('Id of the dead letter (a UUID returned by list_dead_letters)');
const byId = { id: 'id' };
const tag = 'dead-letters';

/** Dead letters (jobs that failed for good) and queue statistics: acting on the service itself, so `admin`. */
export function deadLetterOperations(): Operation[] {
  return [
    defineOperation({
      name: 'list_dead_letters',
      title: 'List dead letters',
      description:
        'List jobs that failed for good (newest first) with their error and attempts, and the total matching. ' +
        'Filter by status (open, retried, discarded), queue, job_name, error text and failure time. When ' +
        'next_cursor is not null, call again with cursor set to it for the next page.',
      input: deadLetterListSchema,
      output: deadLetterPageSchema,
      annotations: READ,
      scope: 'admin',
      rest: { method: 'get', path: '/v1/dead-letters', operationId: 'listDeadLetters', tag },
      run: ({ services, principal }, input) => services.deadLetters.list(principal, input),
      summary: (page) => `${page.items.length} of ${page.total} dead letter(s)${moreNote(page)}.`,
    }),
    defineOperation({
      name: 'get_dead_letter',
      title: 'Get a dead letter',
      description: 'One dead letter with its payload, error, stack, attempts and status.',
      input: z.strictObject({ id: deadLetterId }),
      output: deadLetterOutputSchema,
      annotations: READ,
      scope: 'admin',
      rest: { method: 'get', path: '/v1/dead-letters/:id', operationId: 'getDeadLetter', tag, params: byId },
      run: ({ services, principal }, { id }) => services.deadLetters.get(principal, id),
      summary: (d) => `${d.queue}/${d.jobName} ${d.status} after ${d.attempts} attempts: ${d.error}`,
    }),
    defineOperation({
      name: 'retry_dead_letter',
      title: 'Retry a dead letter',
      description: 'Put one open dead letter back on its queue with fresh attempts',
      input: z.strictObject({ id: deadLetterId }),
      output: bulkResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'admin',
      rest: {
        method: 'post',
        path: '/v1/dead-letters/:id/retry',
        operationId: 'retryDeadLetter',
        tag,
        params: byId,
        responses: { 200: { description: 'What changed', schema: bulkResultSchema } },
      },
      // retry_dead_letters takes ids: one tool for one or many.
      mcp: false,
      run: ({ services, principal }, { id }) => services.deadLetters.retry(principal, { ids: [id] }),
      summary: (r) => `Retried ${r.changed} of ${r.matched} dead letter(s).`,
    }),
    defineOperation({
      name: 'retry_dead_letters',
      title: 'Retry dead letters',
      description:
        'Put open dead letters back on their queues with fresh attempts: give exactly one of ids, a filter ' +
        '(queue, job_name, error, failed_before, failed_after) or all=true.',
      input: deadLetterSelectionSchema,
      output: bulkResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'admin',
      rest: {
        method: 'post',
        path: '/v1/dead-letters/retry',
        operationId: 'retryDeadLetters',
        tag,
        responses: { 200: { description: 'What changed', schema: bulkResultSchema } },
      },
      run: ({ services, principal }, input) => services.deadLetters.retry(principal, toSelection(input)),
      summary: (r) => `Retried ${r.changed} of ${r.matched} dead letter(s).`,
    }),
    defineOperation({
      name: 'discard_dead_letters',
      title: 'Discard dead letters',
      description:
        'Mark open dead letters as discarded (they stay listed as discarded and are never retried): give ' +
        'exactly one of ids, a filter or all=true.',
      input: deadLetterSelectionSchema,
      output: bulkResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      scope: 'admin',
      rest: {
        method: 'post',
        path: '/v1/dead-letters/discard',
        operationId: 'discardDeadLetters',
        tag,
        responses: { 200: { description: 'What changed', schema: bulkResultSchema } },
      },
      run: ({ services, principal }, input) => services.deadLetters.discard(principal, toSelection(input)),
      summary: (r) => `Discarded ${r.changed} of ${r.matched} dead letter(s).`,
    }),
    defineOperation({
      name: 'queue_stats',
      title: 'Queue statistics',
      description: 'Jobs per queue and state, open dead letters per queue, and the outbox backlog and lag.',
      input: z.strictObject({}),
      output: queueStatsSchema,
      annotations: READ,
      scope: 'admin',
      rest: {
        method: 'get',
        path: '/v1/queues/stats',
        operationId: 'queueStats',
        tag,
        responses: { 200: { description: 'Queue statistics', schema: queueStatsSchema } },
      },
      run: ({ services, principal }) => services.deadLetters.queueStats(principal),
      summary: (s) => {
        const parts = Object.entries(s.queues).map(
          ([q, c]) => `${q}: ${c.waiting} waiting, ${c.active} active, ${c.deadLetters} dead`,
        );
        return `${parts.join('; ')}; outbox ${s.outbox.pending} pending.`;
      },
    }),
  ];
}
