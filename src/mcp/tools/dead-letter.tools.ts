import { z } from 'zod';
import {
  bulkResultSchema,
  deadLetterOutputSchema,
  deadLetterPageSchema,
  queueStatsSchema,
} from '../../domain/dead-letter.model.js';
import { deadLetterFilterSchema, deadLetterListSchema } from '../../services/dead-letter.service.js';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

/** One flat input for bulk actions; exactly one of ids, filter or all (the service checks). */
const selectionInput = z.strictObject({
  ids: z.array(z.uuid()).min(1).max(1000).optional().describe('Dead letter ids'),
  filter: deadLetterFilterSchema.omit({ status: true }).optional().describe('Every open dead letter matching this'),
  all: z.literal(true).optional().describe('Every open dead letter'),
});

function selection(args: z.output<typeof selectionInput>): unknown {
  const picked = Object.entries(args).filter(([, v]) => v !== undefined);
  return Object.fromEntries(picked);
}

export function deadLetterTools({ deadLetters }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'list_dead_letters',
      title: 'List dead letters',
      description:
        'List jobs that failed for good (newest first) with their error and attempts. Filter by status ' +
        '(open, retried, discarded), queue, jobName, error text and failure time; page with cursor.',
      input: deadLetterListSchema,
      output: deadLetterPageSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => deadLetters.list(principal, args),
      text: (page) =>
        summaryWithJson(
          `${page.items.length} of ${page.total} dead letters${page.nextCursor ? ' (more: pass nextCursor)' : ''}.`,
          page,
        ),
    }),
    defineTool({
      name: 'get_dead_letter',
      title: 'Get a dead letter',
      description: 'One dead letter with its payload, error and stack.',
      input: z.strictObject({ id: z.uuid() }),
      output: deadLetterOutputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => deadLetters.get(principal, args.id),
      text: (d) => summaryWithJson(`${d.queue}/${d.jobName} ${d.status} after ${d.attempts} attempts: ${d.error}`, d),
    }),
    defineTool({
      name: 'retry_dead_letters',
      title: 'Retry dead letters',
      description:
        'Put open dead letters back on their queues with fresh attempts: give ids, a filter ' +
        '(queue, jobName, error, failedBefore, failedAfter) or all=true.',
      input: selectionInput,
      output: bulkResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => deadLetters.retry(principal, selection(args)),
      text: (r) => summaryWithJson(`Retried ${r.changed} of ${r.matched} dead letters.`, r),
    }),
    defineTool({
      name: 'discard_dead_letters',
      title: 'Discard dead letters',
      description:
        'Mark open dead letters as discarded (they stay listed as discarded and are never retried): ' +
        'give ids, a filter or all=true.',
      input: selectionInput,
      output: bulkResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: (args, principal) => deadLetters.discard(principal, selection(args)),
      text: (r) => summaryWithJson(`Discarded ${r.changed} of ${r.matched} dead letters.`, r),
    }),
    defineTool({
      name: 'queue_stats',
      title: 'Queue statistics',
      description: 'Jobs per queue and state, open dead letters per queue, and the outbox backlog and lag.',
      input: z.strictObject({}),
      output: queueStatsSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (_args, principal) => deadLetters.queueStats(principal),
      text: (s) => {
        const parts = Object.entries(s.queues).map(
          ([q, c]) => `${q}: ${c.waiting} waiting, ${c.active} active, ${c.deadLetters} dead`,
        );
        return summaryWithJson(`${parts.join('; ')}; outbox ${s.outbox.pending} pending.`, s);
      },
    }),
  ];
}
