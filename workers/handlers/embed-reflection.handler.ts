import { isRejectedInput } from '../../src/embeddings/http-embedding.client.js';
import { NonRetryableError } from '../../src/jobs/job-errors.js';
import type { EmbedReflectionPayload } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { Store } from '../../src/repositories/ports.js';
import { VECTOR_WRITE, vectorWriteAttributes, withSpan } from '../../src/tracing/spans.js';
import type { JobResult } from '../job-runner.js';
import type { Embedder } from './embed-messages.handler.js';

/**
 * Embeds one reflection with the active model. Idempotent like embed-messages: a reflection that already has a
 * vector of this model (saved at store time by ReflectionService, or by an earlier attempt) is skipped, one deleted
 * since it was stored is 'gone' (a no-op), and the
 * store keeps the first vector when two workers race. Typed structurally so it fits JobHandler<'embed-reflection'>
 * once the job is in JOBS.
 */
export function embedReflectionHandler(
  store: Store,
  embedder: Pick<Embedder, 'model' | 'embed'>,
): (payload: EmbedReflectionPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ reflectionId }, job) => {
    const reflection = await store.reflections.get(job.tenantId, reflectionId);
    // Deleted before it was embedded: nothing to do, ever (a no-op, not a dead letter).
    if (!reflection) return 'gone';
    if ((await store.reflections.withVector([reflectionId], embedder.model)).size > 0) return 'skipped';
    const [vector] = await embedder.embed([reflection.content]).catch((error: unknown) => {
      // The provider refused this text: no retry will change its answer.
      if (isRejectedInput(error)) {
        throw new NonRetryableError(`reflection '${reflectionId}' could not be embedded: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    });
    if (!vector) throw new Error('embedding provider returned no vector');
    // Saved only while the reflection still holds the content embedded here: re-worded meanwhile, its update queued
    // the job that embeds the new text, and this vector is dropped ('skipped'), as when another worker saved first.
    const saved = await withSpan(VECTOR_WRITE, vectorWriteAttributes(embedder.model, 1), () =>
      store.reflections.saveVectors([
        {
          ownerId: reflectionId,
          tenantId: job.tenantId,
          model: embedder.model,
          vector,
          contentHash: reflection.contentHash,
          createdAt: new Date().toISOString(),
        },
      ]),
    );
    return saved > 0 ? 'done' : 'skipped';
  };
}
