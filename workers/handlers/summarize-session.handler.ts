import type { SummarizeSessionPayload } from '../../src/jobs/job-registry.js';
import type { QueuedJob } from '../../src/jobs/queue.port.js';
import type { SummaryService } from '../../src/services/summary.service.js';
import type { JobResult } from '../job-runner.js';
import { bucketEnd } from './analytics-sync.handler.js';

/**
 * Refreshes one session's stored summary, then its LLM summary when one is configured. A job standing for a time
 * bucket first waits for the bucket to end (at most a minute), so every write that queued it is read by this run.
 * 'gone' (a no-op) when the session was deleted, 'skipped' when both parts were already fresh. A provider failure is thrown to the runner
 * after the extractive summary is stored: retries (and at last the dead letter) redo only the LLM part.
 */
export function summarizeSessionHandler(
  summaries: Pick<SummaryService, 'refresh'>,
  now: () => number = Date.now,
): (payload: SummarizeSessionPayload, job: QueuedJob) => Promise<JobResult> {
  return async ({ sessionId, bucket }, job) => {
    if (bucket !== undefined) {
      const wait = Math.min(bucketEnd(bucket) - now(), 60_000);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const report = await summaries.refresh(job.tenantId, sessionId);
    // The session was deleted since the write that queued this: a no-op.
    if (!report) return 'gone';
    return report.extractive === 'refreshed' || report.llm === 'refreshed' ? 'done' : 'skipped';
  };
}
