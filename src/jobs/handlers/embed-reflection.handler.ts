import type { Reflection } from '../../domain/reflection.model.js';
import type { QueuedJob } from '../../queue/queue.port.js';
import type { OutboxJob, Store } from '../../repositories/ports.js';
import { NonRetryableError } from '../job-errors.js';
import { type EmbedReflectionPayload, embedReflectionJob } from '../job-registry.js';
import type { JobResult } from '../job-runner.js';
import type { Embedder } from './embed-messages.handler.js';

/** The follow-up ReflectionService passes to the store: one embed job per newly stored or re-worded reflection. */
export function embedReflectionFollowUps(reflection: Reflection): OutboxJob[] {
  return [embedReflectionJob(reflection.tenantId, reflection)];
}

/**
 * Embeds one reflection with the active model. Idempotent like embed-messages: a reflection that already has a
 * vector of this model (saved at store time by ReflectionService, or by an earlier attempt) is skipped, and the
 * store keeps the first vector when two workers race. Typed structurally so it fits JobHandler<'embed-reflection'>
 * once the job is in JOBS.
 */
export function embedReflectionHandler(
  store: Store,
  embedder: Embedder,
): (payload: EmbedReflectionPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ reflectionId }, job) => {
    const reflection = await store.reflections.get(job.tenantId, reflectionId);
    if (!reflection)
      throw new NonRetryableError(`reflection '${reflectionId}' not found (deleted before it was embedded?)`);
    if ((await store.reflections.withVector([reflectionId], embedder.model)).size > 0) return 'skipped';
    const [vector] = await embedder.embed([reflection.content]);
    if (!vector) throw new Error('embedding provider returned no vector');
    await store.reflections.saveVectors([
      {
        ownerId: reflectionId,
        tenantId: job.tenantId,
        model: embedder.model,
        vector,
        createdAt: new Date().toISOString(),
      },
    ]);
    return 'done';
  };
}
