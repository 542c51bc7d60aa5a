import { type AttemptFailure, firstDistinctCause } from '../../jobs/attempt-history.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterRepository, DeadLetterStatus, NewDeadLetter } from '../ports.js';
import type { Db } from './db.js';

interface Row {
  id: string;
  tenant_id: string;
  queue: string;
  job_name: string;
  job_key: string;
  payload: string;
  error: string;
  stack: string | null;
  attempts: number;
  attempt_history: string;
  status: DeadLetterStatus;
  retry_count: number;
  first_failed_at: string;
  failed_at: string;
  updated_at: string;
}

function toDeadLetter(r: Row): DeadLetter {
  const attemptHistory = JSON.parse(r.attempt_history) as AttemptFailure[];
  return {
    id: r.id,
    tenantId: r.tenant_id,
    queue: r.queue,
    jobName: r.job_name,
    jobKey: r.job_key,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    error: r.error,
    stack: r.stack,
    attempts: r.attempts,
    attemptHistory,
    firstCause: firstDistinctCause(attemptHistory),
    status: r.status,
    retryCount: r.retry_count,
    firstFailedAt: r.first_failed_at,
    failedAt: r.failed_at,
    updatedAt: r.updated_at,
  };
}

export class SqliteDeadLetterRepository implements DeadLetterRepository {
  private readonly recordStmt;

  constructor(private readonly db: Db) {
    this.recordStmt = db.prepare(`
      INSERT INTO dead_letters (id, tenant_id, queue, job_name, job_key, payload, error, stack, attempts, attempt_history, status,
                                first_failed_at, failed_at, updated_at)
      VALUES (@id, @tenantId, @queue, @jobName, @jobKey, @payload, @error, @stack, @attempts, @attemptHistory, 'open',
              @failedAt, @failedAt, @failedAt)
      ON CONFLICT (job_key) DO UPDATE SET
        status = 'open', error = excluded.error, stack = excluded.stack, attempts = excluded.attempts,
        attempt_history = excluded.attempt_history,
        payload = excluded.payload, failed_at = excluded.failed_at, updated_at = excluded.updated_at
      RETURNING *`);
  }

  async record(d: NewDeadLetter): Promise<DeadLetter> {
    return toDeadLetter(
      this.recordStmt.get({
        ...d,
        payload: JSON.stringify(d.payload),
        attemptHistory: JSON.stringify(d.attemptHistory ?? []),
      }) as Row,
    );
  }

  async get(id: string, tenantId?: string): Promise<DeadLetter | undefined> {
    const row = this.db
      .prepare(`SELECT * FROM dead_letters WHERE id = ? ${tenantId === undefined ? '' : 'AND tenant_id = ?'}`)
      .get(...(tenantId === undefined ? [id] : [id, tenantId])) as Row | undefined;
    return row ? toDeadLetter(row) : undefined;
  }

  async list(filter: DeadLetterFilter, limit: number, after?: { failedAt: string; id: string }): Promise<DeadLetter[]> {
    const { clause, params } = where(filter);
    const keyset = after ? 'AND (failed_at, id) < (@afterFailedAt, @afterId)' : '';
    const rows = this.db
      .prepare(`SELECT * FROM dead_letters WHERE ${clause} ${keyset} ORDER BY failed_at DESC, id DESC LIMIT @limit`)
      .all({ ...params, afterFailedAt: after?.failedAt, afterId: after?.id, limit }) as Row[];
    return rows.map(toDeadLetter);
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    const { clause, params } = where(filter);
    return this.db.prepare(`SELECT count(*) FROM dead_letters WHERE ${clause}`).pluck().get(params) as number;
  }

  async setStatus(
    ids: string[],
    status: 'retried' | 'discarded',
    now: string,
    tenantId?: string,
  ): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const rows = this.db
      .prepare(
        `UPDATE dead_letters SET status = @status, updated_at = @now,
           retry_count = retry_count + @bump
         WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'open'
           ${tenantId === undefined ? '' : 'AND tenant_id = @tenantId'}
         RETURNING *`,
      )
      .all({ status, now, bump: status === 'retried' ? 1 : 0, ids: JSON.stringify(ids), tenantId }) as Row[];
    return rows.map(toDeadLetter);
  }

  async openByQueue(): Promise<Record<string, number>> {
    const rows = this.db
      .prepare("SELECT queue, count(*) AS n FROM dead_letters WHERE status = 'open' GROUP BY queue")
      .all() as Array<{ queue: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.queue, r.n]));
  }
}

/** Fixed SQL fragments only; every value is a named parameter. */
function where(f: DeadLetterFilter): { clause: string; params: Record<string, unknown> } {
  const parts = ['1 = 1'];
  if (f.tenantId !== undefined) parts.push('tenant_id = @tenantId');
  if (f.status) parts.push('status = @status');
  if (f.queue) parts.push('queue = @queue');
  if (f.jobName) parts.push('job_name = @jobName');
  if (f.errorContains) parts.push('instr(lower(error), lower(@errorContains)) > 0');
  if (f.failedBefore) parts.push('failed_at < @failedBefore');
  if (f.failedAfter) parts.push('failed_at >= @failedAfter');
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) params[k] = v;
  return { clause: parts.join(' AND '), params };
}
