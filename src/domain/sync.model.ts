import { z } from 'zod';
import { SYNC_KINDS } from '../repositories/sync.port.js';

const position = z.object({ ts: z.string(), id: z.string() });

/** Where the Akosha sync stands (sync_status): the answer of AkoshaSync.status plus the configuration. */
export const syncStatusSchema = z.object({
  target: z.string().describe('The push target: `akosha`.'),
  enabled: z.boolean().describe('sync.akoshaEnabled: whether the sync job pushes anything.'),
  url: z.string().describe("Akosha's MCP endpoint (sync.akoshaUrl), password hidden."),
  lastError: z.string().nullable().describe('The error of the last run that failed, until a run succeeds.'),
  lastErrorAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable().describe('When a run last pushed everything pending.'),
  itemsPushed: z.number().int().describe('Items Akosha acknowledged, all kinds, since the first sync.'),
  pending: z.number().int().describe('Items changed after the cursors: not in Akosha yet.'),
  lagSeconds: z.number().int().describe('Seconds since the oldest pending item changed (0 when none is pending).'),
  kinds: z.array(
    z.object({
      kind: z.enum(SYNC_KINDS),
      cursor: position.nullable().describe('Change time and id of the last acknowledged item; null before any.'),
      itemsPushed: z.number().int(),
      pending: z.number().int(),
      oldestPendingAt: z.string().nullable(),
      lagSeconds: z.number().int(),
    }),
  ),
});
export type SyncStatusAnswer = z.infer<typeof syncStatusSchema>;

export const syncNowSchema = z.object({
  queued: z.boolean().describe('True: a sync job was queued (one per second, however often this is called).'),
  jobKey: z.string().describe('The job key; a failed job leaves a dead letter with this key.'),
  status: syncStatusSchema.describe('Where the sync stood when the job was queued.'),
});
export type SyncNowAnswer = z.infer<typeof syncNowSchema>;
