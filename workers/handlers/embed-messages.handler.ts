import { isRejectedInput } from '../../src/embeddings/http-embedding.client.js';
import { deferralOf, ItemsFailedError } from '../../src/jobs/job-errors.js';
import type { Store } from '../../src/repositories/ports.js';
import { VECTOR_WRITE, vectorWriteAttributes, withSpan } from '../../src/tracing/spans.js';
import type { JobHandler } from '../job-runner.js';

/** What the handler needs of the embedding service: the active model and a way to embed texts. */
export interface Embedder {
  readonly model: string;
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Each text's own outcome: a text the provider refuses fails alone (see EmbeddingService.embedEach). */
  embedEach(texts: string[]): Promise<PromiseSettledResult<Float32Array>[]>;
}

/**
 * Embeds the messages of one write with the active model: one query reads them, one provider round (the
 * embedding service batches) embeds them, one statement saves the vectors. Idempotent: messages that already
 * have a vector of this model are skipped, and the store keeps the first vector if two workers race. Messages
 * deleted since the write are skipped; when none of them is left the job is 'gone' (a no-op, never a dead letter:
 * deleting a session right after writing to it is normal). A message whose
 * text the provider refuses (a 4xx about that input, or blank text) fails for good alone: the others are saved, and
 * only its dead letter is recorded (ItemsFailedError).
 */
export function embedMessagesHandler(store: Store, embedder: Embedder): JobHandler<'embed-messages'> {
  return async ({ messageIds }, job) => {
    const found = await store.embeddings.messagesToEmbed(job.tenantId, messageIds, embedder.model);
    if (found.length === 0) return 'gone';
    const todo = found.filter((m) => !m.hasVector);
    if (todo.length === 0) return 'skipped';
    const outcomes = await embedder.embedEach(todo.map((m) => m.content));
    if (outcomes.length !== todo.length) throw new Error('embedding provider returned too few vectors');
    const createdAt = new Date().toISOString();
    const done = todo.flatMap((m, i) => {
      const outcome = outcomes[i] as PromiseSettledResult<Float32Array>;
      return outcome.status === 'fulfilled' ? [{ message: m, vector: outcome.value }] : [];
    });
    // What was embedded is kept whatever happened to the rest: a retry skips it.
    if (done.length > 0) {
      await withSpan(VECTOR_WRITE, vectorWriteAttributes(embedder.model, done.length), () =>
        store.embeddings.saveForMessages(
          done.map(({ message, vector }) => ({
            ownerId: message.id,
            tenantId: job.tenantId,
            model: embedder.model,
            vector,
            createdAt,
          })),
        ),
      );
    }
    const failures = todo.flatMap((m, i) => {
      const outcome = outcomes[i] as PromiseSettledResult<Float32Array>;
      return outcome.status === 'rejected' ? [{ id: m.id, error: outcome.reason as unknown }] : [];
    });
    // A failure of the provider (not of one input) fails the job: it is retried, or deferred while the breaker is open.
    // An open breaker first: the provider is out, so the whole job waits for it without spending an attempt.
    const transient =
      failures.find((f) => deferralOf(f.error) !== undefined) ?? failures.find((f) => !isRejectedInput(f.error));
    if (transient) throw transient.error;
    if (failures.length > 0) {
      // The provider refused these messages' text: their failure alone, for good, with the provider's own words.
      const first = failures[0] as { id: string; error: unknown };
      const which = failures.length === 1 ? `message '${first.id}'` : `${failures.length} messages`;
      throw new ItemsFailedError(
        `${which} could not be embedded: ${(first.error as Error).message}`,
        failures.map((f) => f.id),
        { cause: first.error },
      );
    }
    return 'done';
  };
}
