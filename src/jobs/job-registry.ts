import { z } from 'zod';
import { QUEUE_NAMES } from '../config/config.schema.js';

export { QUEUE_NAMES };
export type QueueName = (typeof QUEUE_NAMES)[number];

const uuid = z.uuid();

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
