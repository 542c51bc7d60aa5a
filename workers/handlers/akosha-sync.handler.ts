import type { AkoshaSyncPayload } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { AkoshaSync } from '../../src/services/sync/akosha-sync.js';
import type { JobResult } from '../job-runner.js';

/**
 * Runs one Akosha sync (every tenant, every kind) when `sync.akoshaEnabled`, else 'skipped'. A failure is thrown to
 * the runner: an open breaker defers the job (no attempt spent), anything else is retried with backoff, then one
 * dead letter names the batch that failed; the cursor holds, so nothing is lost.
 */
export function akoshaSyncHandler(
  sync: Pick<AkoshaSync, 'run'>,
  enabled: boolean,
): (payload: AkoshaSyncPayload, job: QueuedJob) => Promise<JobResult> {
  return async () => {
    if (!enabled) return 'skipped';
    const report = await sync.run();
    return report.batches > 0 ? 'done' : 'skipped';
  };
}
