import { z } from 'zod';

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
  status: z.enum(['open', 'retried', 'discarded']),
  retryCount: z.number().int(),
  firstFailedAt: z.string(),
  failedAt: z.string(),
  updatedAt: z.string(),
});
export const deadLetterPageSchema = z.object({
  items: z.array(deadLetterOutputSchema),
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
