import { NonRetryableError } from '../../src/jobs/job-errors.js';
import type { Store } from '../../src/repositories/ports.js';
import type { JobHandler } from '../job-runner.js';

/** What the handler needs of the embedding service: the active model and a way to embed texts. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/**
 * Embeds the messages of one write with the active model: one query reads them, one provider round (the
 * embedding service batches) embeds them, one statement saves the vectors. Idempotent: messages that already
 * have a vector of this model are skipped, and the store keeps the first vector if two workers race. Messages
 * deleted since the write are skipped; when none of them is left the job fails for good, naming them.
 */
export function embedMessagesHandler(store: Store, embedder: Embedder): JobHandler<'embed-messages'> {
  return async ({ messageIds }, job) => {
    const found = await store.embeddings.messagesToEmbed(job.tenantId, messageIds, embedder.model);
    if (found.length === 0) {
      const which = messageIds.length === 1 ? `message '${messageIds[0]}'` : `none of ${messageIds.length} messages`;
      throw new NonRetryableError(`${which} found (deleted before it was embedded?)`);
    }
    const todo = found.filter((m) => !m.hasVector);
    if (todo.length === 0) return 'skipped';
    const vectors = await embedder.embed(todo.map((m) => m.content));
    if (vectors.length !== todo.length) throw new Error('embedding provider returned too few vectors');
    const createdAt = new Date().toISOString();
    await store.embeddings.saveForMessages(
      todo.map((m, i) => ({
        ownerId: m.id,
        tenantId: job.tenantId,
        model: embedder.model,
        vector: vectors[i] as Float32Array,
        createdAt,
      })),
    );
    return 'done';
  };
}
