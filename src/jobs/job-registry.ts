import { createHash } from 'node:crypto';
import { z } from 'zod';
import { QUEUE_NAMES } from '../config/config.schema.js';
import { projectSchema } from '../domain/common.model.js';
import type { WriteFollowUps } from '../repositories/ports.js';

export { QUEUE_NAMES };
export type QueueName = (typeof QUEUE_NAMES)[number];

const uuid = z.uuid();

/** A registered job: its queue, its payload schema and, for jobs that carry many items, how to split them. */
export interface JobDef {
  queue: QueueName;
  payload: z.ZodType;
  /**
   * One part per item, for a job that carries many: when the job fails for good, each part is recorded as its own
   * dead letter under its own key, so operators see, retry and discard items one by one, whatever batch carried them.
   */
  split?: (payload: never) => Array<{ keyPart: string; payload: Record<string, unknown> }>;
}

/** Most messages one `embed-messages` job carries; a bigger write is queued as several jobs. */
export const EMBED_MESSAGES_MAX = 100;

/**
 * Every job, declared once: its queue and its payload schema. Producers build jobs only through
 * `jobFor` (or the helpers below); the runner validates payloads with the same schema and refuses
 * to start when a job has no handler.
 */
export const JOBS = {
  /**
   * Embed stored messages with the active model. One job per write (up to EMBED_MESSAGES_MAX messages): a batch
   * written together is embedded together, so queue and store round trips are paid per write, not per message.
   */
  'embed-messages': {
    queue: 'embedding',
    payload: z.strictObject({ messageIds: z.array(uuid).min(1).max(EMBED_MESSAGES_MAX) }),
    split: (payload: { messageIds: string[] }) =>
      payload.messageIds.map((id) => ({ keyPart: id, payload: { messageIds: [id] } })),
  },
  /** Embed one stored reflection with the active model. */
  'embed-reflection': {
    queue: 'embedding',
    payload: z.strictObject({ reflectionId: uuid }),
  },
  /** Find recurring themes and errors across one tenant's sessions (optionally one project's): see PatternDetector. */
  'detect-patterns': {
    queue: 'analytics',
    payload: z.strictObject({
      project: projectSchema.optional(),
      /** The time bucket the job stands for (detectionBucket); its run happens once. Omitted: always runs. */
      bucket: z
        .string()
        .regex(/^w\d{1,9}-\d{1,12}$/)
        .optional(),
    }),
  },
  /**
   * Copy what changed in the primary store into DuckDB (AnalyticsSync), for every tenant. Queued coalesced after
   * writes (one job per ANALYTICS_SYNC_WINDOW_MS bucket) and by the periodic catch-up (one per period).
   */
  'analytics-sync': {
    queue: 'analytics',
    payload: z.strictObject({
      /** The time bucket the job stands for (detectionBucket): the run waits for its end, then reads. */
      bucket: z
        .string()
        .regex(/^w\d{1,9}-\d{1,12}$/)
        .optional(),
    }),
  },
  /**
   * Refresh one session's stored summary (and its LLM summary, when configured). Queued coalesced after its messages
   * change (one job per session and SUMMARY_WINDOW_MS bucket) and when its status changes.
   */
  'summarize-session': {
    queue: 'analytics',
    payload: z.strictObject({
      sessionId: uuid,
      /** The time bucket the job stands for (detectionBucket): the run waits for its end, then reads. */
      bucket: z
        .string()
        .regex(/^w\d{1,9}-\d{1,12}$/)
        .optional(),
    }),
  },
  /**
   * Push what changed since the Akosha cursor (AkoshaSync), every tenant's, in batches; the cursor moves after each
   * acknowledged batch. Queued by the periodic catch-up (one per `sync.syncInterval`) and by `sync_now` (one per
   * second). A final failure leaves one dead letter for the batch that failed; retrying it runs the sync again from
   * the cursor, that batch first.
   */
  'akosha-sync': {
    queue: 'sync',
    payload: z.strictObject({
      /** The time bucket the job stands for (detectionBucket); keys the job, so one per bucket. */
      bucket: z
        .string()
        .regex(/^w\d{1,9}-\d{1,12}$/)
        .optional(),
    }),
  },
  /**
   * Write one snapshot of the primary store (SnapshotService.create) to the configured provider, then prune to
   * `sync.retention`. Queued once per `sync.intervalMinutes` bucket by the snapshot scheduler when `sync.cloudEnabled`.
   */
  'create-snapshot': {
    queue: 'sync',
    payload: z.strictObject({
      /** The time bucket the job stands for (detectionBucket): a snapshot already written in it makes a re-run a no-op. */
      bucket: z
        .string()
        .regex(/^w\d{1,9}-\d{1,12}$/)
        .optional(),
    }),
  },
} as const satisfies Record<string, JobDef>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** The outbox entry for a job; its key is deterministic, so the same work is never queued twice. */
export function jobFor<N extends JobName>(name: N, tenantId: string, payload: JobPayload<N>, keyPart: string) {
  return { tenantId, queue: JOBS[name].queue as QueueName, name, key: `${name}-${keyPart}`, payload };
}

export type EmbedReflectionPayload = JobPayload<'embed-reflection'>;
export type DetectPatternsPayload = JobPayload<'detect-patterns'>;
export type AnalyticsSyncPayload = JobPayload<'analytics-sync'>;
export type SummarizeSessionPayload = JobPayload<'summarize-session'>;
export type CreateSnapshotPayload = JobPayload<'create-snapshot'>;

/** Writes within this window (ms) queue one analytics sync between them. */
export const ANALYTICS_SYNC_WINDOW_MS = 1_000;

/** Key prefix of message embedding jobs; `embed-messages-<id>` is the job (and dead letter) of one message. */
export const EMBED_MESSAGES_KEY_PREFIX = 'embed-messages-';

/**
 * The outbox entries embedding messages written together: one job per EMBED_MESSAGES_MAX messages. A single
 * message is keyed by its id, the same key its dead letter and the reconciler use; a batch by its first id and size.
 */
export function embedMessagesJobs(tenantId: string, messageIds: readonly string[]) {
  const jobs = [];
  for (let i = 0; i < messageIds.length; i += EMBED_MESSAGES_MAX) {
    const ids = messageIds.slice(i, i + EMBED_MESSAGES_MAX);
    const keyPart = ids.length === 1 ? (ids[0] as string) : `${ids[0]}-n${ids.length}`;
    jobs.push(jobFor('embed-messages', tenantId, { messageIds: ids }, keyPart));
  }
  return jobs;
}

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
    queue: JOBS['embed-reflection'].queue,
    name: 'embed-reflection',
    key: `embed-reflection-${reflection.id}-${reflection.contentHash.slice(0, 16)}`,
    payload: { reflectionId: reflection.id },
  };
}

/**
 * The time bucket `now` falls in: `w<window seconds>-<start, epoch seconds>`. A trigger window and a scheduler
 * period are buckets of their own length, so a manual trigger never stands in for the periodic run, nor the reverse.
 */
export function detectionBucket(now: Date, windowMs: number): string {
  // Whole seconds, at least one: a window under a second (or not a whole number of seconds) must not make a
  // fractional bucket, which the job payload refuses (its job would go straight to the dead letters).
  const seconds = Math.max(1, Math.round(windowMs / 1000));
  const start = Math.floor(now.getTime() / 1000 / seconds) * seconds;
  return `w${seconds}-${start}`;
}

/**
 * The outbox entry for one detection run. The key is deterministic per tenant, project and time bucket
 * (`windowMs` long): every trigger in the same bucket is the same job while it waits or runs, and the bucket in
 * the payload makes a copy queued after it finished a no-op (see PatternDetector.detectOnce).
 * Tenant and project are hashed into the key, which must not contain ':' (BullMQ job ids).
 */
export function detectPatternsJob(tenantId: string, project: string | null, now: Date, windowMs: number) {
  const scope = createHash('sha256')
    .update(`${tenantId}\u0000${project ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const bucket = detectionBucket(now, windowMs);
  const payload: DetectPatternsPayload = project === null ? { bucket } : { project, bucket };
  return jobFor('detect-patterns', tenantId, payload, `${scope}-${bucket}`);
}

/**
 * The outbox entry for one analytics sync: one job per time bucket (`windowMs` long), whoever queues it, so many
 * writes make one job. The sync is global (every tenant); `tenantId` only says whose write (or which scheduler)
 * asked for it, and owns its dead letter.
 */
export function analyticsSyncJob(tenantId: string, now: Date, windowMs = ANALYTICS_SYNC_WINDOW_MS) {
  const bucket = detectionBucket(now, windowMs);
  return jobFor('analytics-sync', tenantId, { bucket }, bucket);
}

export type AkoshaSyncPayload = JobPayload<'akosha-sync'>;

/**
 * The outbox entry for one Akosha sync: one job per time bucket (`windowMs` long), whoever queues it. The sync is
 * global (every tenant); `tenantId` only says who asked for it, and owns its dead letter.
 */
export function akoshaSyncJob(tenantId: string, now: Date, windowMs: number) {
  const bucket = detectionBucket(now, windowMs);
  return jobFor('akosha-sync', tenantId, { bucket }, bucket);
}

/** Writes to one session within this window (ms) queue one summary refresh between them. */
export const SUMMARY_WINDOW_MS = 2_000;

/**
 * The outbox entry refreshing a session's stored summary: one job per session and time bucket (`windowMs` long), so
 * a burst of writes makes one job, run once the bucket is over.
 */
export function summarizeSessionJob(tenantId: string, sessionId: string, now: Date, windowMs = SUMMARY_WINDOW_MS) {
  const bucket = detectionBucket(now, windowMs);
  return jobFor('summarize-session', tenantId, { sessionId, bucket }, `${sessionId}-${bucket}`);
}

/**
 * The outbox rows writes queue, given to the store once when it is built: new messages and new or re-worded
 * reflections are embedded, and copied to DuckDB by the analytics sync of their one-second bucket. One write is one
 * tenant's and one session's, so its messages are one job per EMBED_MESSAGES_MAX of them, and one summary refresh,
 * as is a session's status change.
 */
export const writeFollowUps: WriteFollowUps = {
  messagesAppended: (created) =>
    created[0]
      ? [
          ...embedMessagesJobs(
            created[0].tenantId,
            created.map((m) => m.id),
          ),
          analyticsSyncJob(created[0].tenantId, new Date()),
          summarizeSessionJob(created[0].tenantId, created[0].sessionId, new Date()),
        ]
      : [],
  sessionChanged: (before, after) =>
    before.status === after.status ? [] : [summarizeSessionJob(after.tenantId, after.id, new Date())],
  reflectionWritten: (reflection) => [
    embedReflectionJob(reflection.tenantId, reflection),
    analyticsSyncJob(reflection.tenantId, new Date()),
  ],
};

/** The outbox entry for the periodic snapshot: one job per `intervalMs` bucket, whichever process queues it. */
export function createSnapshotJob(tenantId: string, now: Date, intervalMs: number) {
  const bucket = detectionBucket(now, intervalMs);
  return jobFor('create-snapshot', tenantId, { bucket }, bucket);
}
