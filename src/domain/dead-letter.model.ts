import { z } from 'zod';
import { QUEUE_NAMES } from '../config/config.schema.js';
import { DEAD_LETTER_STATUSES } from '../repositories/ports.js';
import { idSchema, timestampSchema } from './common.model.js';

/** Which dead letters: status, queue, job, error text, failure time (all optional, all must match). */
export const deadLetterFilterSchema = z.strictObject({
  status: z.enum(DEAD_LETTER_STATUSES).optional().describe('open, retried or discarded'),
  queue: z.enum(QUEUE_NAMES).optional(),
  jobName: z.string().min(1).max(100).optional().describe('Name of the job, e.g. embed-messages'),
  error: z.string().min(1).max(500).optional().describe('Case-insensitive text in the error message'),
  failedBefore: timestampSchema.optional().describe('Failed before this ISO 8601 time'),
  failedAfter: timestampSchema.optional().describe('Failed after this ISO 8601 time'),
});
export type DeadLetterFilterInput = z.output<typeof deadLetterFilterSchema>;

export const deadLetterListSchema = deadLetterFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(512).optional().describe('next_cursor of the previous page'),
});
export type DeadLetterListQuery = z.output<typeof deadLetterListSchema>;

const selectionFilterSchema = deadLetterFilterSchema.omit({ status: true });

/**
 * Which dead letters a bulk action touches, as one flat object (a JSON body or MCP arguments): exactly one of
 * `ids`, `filter` or `all`. `toSelection` turns it into the `DeadLetterSelection` the service takes.
 */
export const deadLetterSelectionSchema = z
  .strictObject({
    ids: z.array(idSchema).min(1).max(1000).optional().describe('Dead letter ids'),
    filter: selectionFilterSchema.optional().describe('Every open dead letter matching this'),
    all: z.literal(true).optional().describe('Every open dead letter'),
  })
  .refine((s) => [s.ids, s.filter, s.all].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of ids, filter or all',
  });

/** Explicit ids, a filter, or `all` open dead letters. */
export type DeadLetterSelection =
  | { ids: string[] }
  | { all: true }
  | { filter: z.output<typeof selectionFilterSchema> };

export type DeadLetterSelectionInput = z.output<typeof deadLetterSelectionSchema>;

export function toSelection(input: DeadLetterSelectionInput): DeadLetterSelection {
  if (input.ids) return { ids: input.ids };
  if (input.all) return { all: true };
  return { filter: input.filter ?? {} };
}

/** Response shapes of the dead-letter operations (REST OpenAPI, MCP output schemas). */
export const deadLetterOutputSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  queue: z.string(),
  jobName: z.string(),
  jobKey: z.string(),
  payload: z.record(z.string(), z.unknown()),
  error: z.string(),
  stack: z.string().nullable(),
  attempts: z.number().int(),
  attemptHistory: z
    .array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        error: z.string().describe('Error class'),
        code: z.string().optional().describe('Error code or HTTP status'),
        message: z.string(),
      }),
    )
    .describe('Failed attempts, oldest first: the first and the latest (at most 10); the last is the final one'),
  firstCause: z
    .string()
    .nullable()
    .describe('The earliest failure unlike the last one (e.g. the provider error before a timeout), or null'),
  status: z.enum(['open', 'retried', 'discarded']),
  retryCount: z.number().int(),
  firstFailedAt: z.string(),
  failedAt: z.string(),
  updatedAt: z.string(),
});
/** A dead letter in a list: no stack and no attempt history (get one dead letter for those). */
export const deadLetterListItemSchema = deadLetterOutputSchema.omit({ stack: true, attemptHistory: true });
export const deadLetterPageSchema = z.object({
  items: z.array(deadLetterListItemSchema),
  nextCursor: z.string().nullable(),
  total: z.number(),
});
export const bulkResultSchema = z.object({ matched: z.number(), changed: z.number(), ids: z.array(z.string()) });
const countsSchema = z.object({
  waiting: z.number(),
  active: z.number(),
  delayed: z.number(),
  completed: z.number(),
  failed: z.number(),
  deadLetters: z.number(),
});
export const queueStatsSchema = z.object({
  queues: z.record(z.string(), countsSchema),
  outbox: z.object({ pending: z.number(), oldestAgeSeconds: z.number() }),
});
