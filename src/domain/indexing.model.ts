import { z } from 'zod';
import { idSchema, projectSchema } from './common.model.js';

/** The longest an indexing check may wait for vectors, in milliseconds. */
export const MAX_INDEXING_WAIT_MS = 30_000;

export const indexingQuerySchema = z.strictObject({
  sessionId: idSchema.optional().describe('Only this session (a UUID returned by create_session or list_sessions)'),
  project: projectSchema.optional().describe('Only sessions of this project'),
  waitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_INDEXING_WAIT_MS)
    .default(0)
    .describe(
      `Wait up to this long (ms, at most ${MAX_INDEXING_WAIT_MS}) for every message to be embedded; 0 answers at once`,
    ),
});
export type IndexingQuery = z.infer<typeof indexingQuerySchema>;

export const indexingStatusSchema = z.object({
  model: z.string().describe('The embedding model search compares against'),
  messages: z.number().int().describe('Messages in scope'),
  embedded: z.number().int().describe('Of those, messages with a vector of the model: searchable by meaning'),
  pending: z.number().int().describe('Messages not embedded yet (searchable by words only)'),
  coverage: z.number().describe('embedded / messages (1 when there are no messages)'),
  complete: z.boolean().describe('Every message in scope is searchable by meaning'),
  waitedMs: z.number().int().describe('How long this call waited'),
});
export type IndexingStatus = z.infer<typeof indexingStatusSchema>;
