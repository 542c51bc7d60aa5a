import { z } from 'zod';
import { QUEUE_NAMES } from '../config/config.schema.js';

export { QUEUE_NAMES };
export type QueueName = (typeof QUEUE_NAMES)[number];

const uuid = z.uuid();

/**
 * Reflection jobs. Declared apart from JOBS only until job-system.ts registers their handler: JobRunner
 * (rightly) refuses to start while a registered job has no handler. Wiring = spread this into JOBS and pass
 * `'embed-reflection': embedReflectionHandler(store, embeddings)` to the runner, in the same change.
 */
export const REFLECTION_JOBS = {
  /** Embed one stored reflection with the active model. */
  'embed-reflection': {
    queue: 'embedding',
    payload: z.strictObject({ reflectionId: uuid }),
  },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

/**
 * Every job, declared once: its queue and its payload schema. Producers build jobs only through
 * `jobFor`; the runner validates payloads with the same schema and refuses to start when a job
 * has no handler.
 */
export const JOBS = {
  /** Embed one stored message with the active model. */
  'embed-message': {
    queue: 'embedding',
    payload: z.strictObject({ messageId: uuid }),
  },
  ...REFLECTION_JOBS,
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType }>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** The outbox entry for a job; its key is deterministic, so the same work is never queued twice. */
export function jobFor<N extends JobName>(name: N, tenantId: string, payload: JobPayload<N>, keyPart: string) {
  return { tenantId, queue: JOBS[name].queue as QueueName, name, key: `${name}-${keyPart}`, payload };
}

export type EmbedReflectionPayload = z.output<(typeof REFLECTION_JOBS)['embed-reflection']['payload']>;

/**
 * The outbox entry embedding a reflection. The key includes the content hash: an edit of the content is new
 * work (its old vectors were dropped), while replays of the same content stay one job.
 */
export function embedReflectionJob(
  tenantId: string,
  reflection: { id: string; contentHash: string },
): { tenantId: string; queue: QueueName; name: 'embed-reflection'; key: string; payload: EmbedReflectionPayload } {
  return {
    tenantId,
    queue: REFLECTION_JOBS['embed-reflection'].queue,
    name: 'embed-reflection',
    key: `embed-reflection-${reflection.id}-${reflection.contentHash.slice(0, 16)}`,
    payload: { reflectionId: reflection.id },
  };
}
