import type { Store } from '../../repositories/ports.js';
import { NonRetryableError } from '../job-errors.js';
import type { JobHandler } from '../job-runner.js';

/** What the handler needs of the embedding service: the active model and a way to embed texts. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/**
 * Embeds one message with the active model. Idempotent: a message that already has a vector of
 * this model is skipped, and the store keeps the first vector if two workers race.
 */
export function embedMessageHandler(store: Store, embedder: Embedder): JobHandler<'embed-message'> {
  return async ({ messageId }, job) => {
    const message = await store.messages.get(job.tenantId, messageId);
    if (!message) throw new NonRetryableError(`message '${messageId}' not found (deleted before it was embedded?)`);
    if ((await store.embeddings.messagesWithVector([messageId], embedder.model)).size > 0) return 'skipped';
    const [vector] = await embedder.embed([message.content]);
    if (!vector) throw new Error('embedding provider returned no vector');
    await store.embeddings.saveForMessages([
      {
        ownerId: messageId,
        tenantId: job.tenantId,
        model: embedder.model,
        vector,
        createdAt: new Date().toISOString(),
      },
    ]);
    return 'done';
  };
}
