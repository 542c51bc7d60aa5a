import { z } from 'zod';
import { syncNowSchema, syncStatusSchema } from '../domain/sync.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

const tag = 'sync';

/** The Akosha sync: every tenant's items go to one Akosha, so these act on the service itself (`admin`). */
export function syncOperations(): Operation[] {
  return [
    defineOperation({
      name: 'sync_now',
      title: 'Sync to Akosha now',
      description:
        'Queue an Akosha sync now (a worker runs it): new and changed reflections, patterns, session summaries ' +
        'and code graphs after the cursors are pushed in batches. Answers at once with the status before the run; ' +
        'poll sync_status to see it progress. Conflict when sync.akoshaEnabled is false.',
      input: z.strictObject({}),
      output: syncNowSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'admin',
      rest: { method: 'post', path: '/v1/sync/akosha', operationId: 'syncNow', tag },
      run: ({ services, principal }) => services.sync.syncNow(principal),
      summary: (a) => `Akosha sync queued (${a.jobKey}); ${a.status.pending} item(s) pending.`,
    }),
    defineOperation({
      name: 'sync_status',
      title: 'Akosha sync status',
      description:
        'Where the Akosha sync stands: per kind the cursor (last acknowledged item), items pushed, items pending ' +
        'and lag in seconds; the last error (until a run succeeds) and the last success.',
      input: z.strictObject({}),
      output: syncStatusSchema,
      annotations: READ,
      scope: 'admin',
      rest: { method: 'get', path: '/v1/sync/akosha', operationId: 'syncStatus', tag },
      run: ({ services }) => services.sync.status(),
      summary: (s) =>
        `Akosha sync ${s.enabled ? 'on' : 'off'}: ${s.itemsPushed} pushed, ${s.pending} pending, lag ${s.lagSeconds} s` +
        `${s.lastError ? `; last error: ${s.lastError}` : ''}.`,
    }),
  ];
}
