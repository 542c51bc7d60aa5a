import type { CreateSnapshotPayload } from '../../src/jobs/job-registry.js';
import type { SnapshotService } from '../../src/services/snapshots/snapshot.service.js';
import type { JobResult } from '../job-runner.js';

/** When the bucket `w<seconds>-<start>` starts, in ms since the epoch. */
function bucketStart(bucket: string): number {
  const [, , start] = /^w(\d+)-(\d+)$/.exec(bucket) ?? [];
  return Number(start) * 1000;
}

/**
 * Writes one snapshot. Idempotent per bucket: when the newest snapshot was written in or after the job's bucket (a
 * retry after a success, or a copy queued by another process), the job is 'skipped'. A failure is thrown to the
 * runner: retries with backoff, then a dead letter; the files of a failed snapshot are removed by the service.
 */
export function createSnapshotHandler(
  snapshots: Pick<SnapshotService, 'create' | 'list'>,
): (payload: CreateSnapshotPayload) => Promise<JobResult> {
  return async ({ bucket }) => {
    if (bucket !== undefined) {
      const [newest] = (await snapshots.list()).items;
      if (newest && Date.parse(newest.createdAt) >= bucketStart(bucket)) return 'skipped';
    }
    await snapshots.create();
    return 'done';
  };
}
