import type { JSONValue } from 'postgres';
import { type AttemptFailure, firstDistinctCause } from '../../jobs/attempt-history.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterRepository, DeadLetterStatus, NewDeadLetter } from '../ports.js';
import type { Sql } from './sql.js';

interface Row {
  id: string;
  tenant_id: string;
  queue: string;
  job_name: string;
  job_key: string;
  payload: Record<string, unknown>;
  error: string;
  stack: string | null;
  attempts: number;
  attempt_history: AttemptFailure[];
  status: DeadLetterStatus;
  retry_count: number;
  first_failed_at: Date;
  failed_at: Date;
  updated_at: Date;
}

function toDeadLetter(r: Row): DeadLetter {
  const attemptHistory = r.attempt_history;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    queue: r.queue,
    jobName: r.job_name,
    jobKey: r.job_key,
    payload: r.payload,
    error: r.error,
    stack: r.stack,
    attempts: r.attempts,
    attemptHistory,
    firstCause: firstDistinctCause(attemptHistory),
    status: r.status,
    retryCount: r.retry_count,
    firstFailedAt: r.first_failed_at.toISOString(),
    failedAt: r.failed_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export class PostgresDeadLetterRepository implements DeadLetterRepository {
  constructor(private readonly sql: Sql) {}

  async record(d: NewDeadLetter): Promise<DeadLetter> {
    const [row] = await this.sql<Row[]>`
      INSERT INTO dead_letters (id, tenant_id, queue, job_name, job_key, payload, error, stack, attempts, attempt_history, status,
                                first_failed_at, failed_at, updated_at)
      VALUES (${d.id}, ${d.tenantId}, ${d.queue}, ${d.jobName}, ${d.jobKey}, ${this.sql.json(d.payload as JSONValue)},
              ${d.error}, ${d.stack}, ${d.attempts},
              ${this.sql.json((d.attemptHistory ?? []) as unknown as JSONValue)}, 'open', ${d.failedAt}, ${d.failedAt}, ${d.failedAt})
      ON CONFLICT (job_key) DO UPDATE SET
        status = 'open', error = excluded.error, stack = excluded.stack, attempts = excluded.attempts,
        attempt_history = excluded.attempt_history,
        payload = excluded.payload, failed_at = excluded.failed_at, updated_at = excluded.updated_at
      RETURNING *`;
    return toDeadLetter(row as Row);
  }

  async get(id: string, tenantId?: string): Promise<DeadLetter | undefined> {
    const sql = this.sql;
    const [row] = await sql<Row[]>`
      SELECT * FROM dead_letters WHERE id = ${id} ${tenantId === undefined ? sql`` : sql`AND tenant_id = ${tenantId}`}`;
    return row ? toDeadLetter(row) : undefined;
  }

  async list(filter: DeadLetterFilter, limit: number, after?: { failedAt: string; id: string }): Promise<DeadLetter[]> {
    const sql = this.sql;
    const rows = await sql<Row[]>`
      SELECT * FROM dead_letters WHERE ${this.where(filter)}
        ${after ? sql`AND (failed_at, id) < (${after.failedAt}::timestamptz, ${after.id}::uuid)` : sql``}
      ORDER BY failed_at DESC, id DESC LIMIT ${limit}`;
    return rows.map(toDeadLetter);
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    const [row] = await this.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM dead_letters WHERE ${this.where(filter)}`;
    return row?.n ?? 0;
  }

  async setStatus(
    ids: string[],
    status: 'retried' | 'discarded',
    now: string,
    tenantId?: string,
  ): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const sql = this.sql;
    const rows = await sql<Row[]>`
      UPDATE dead_letters SET status = ${status}, updated_at = ${now},
        retry_count = retry_count + ${status === 'retried' ? 1 : 0}
      WHERE id = ANY(${ids}::uuid[]) AND status = 'open'
        ${tenantId === undefined ? sql`` : sql`AND tenant_id = ${tenantId}`}
      RETURNING *`;
    return rows.map(toDeadLetter);
  }

  async openByQueue(): Promise<Record<string, number>> {
    const rows = await this.sql<{ queue: string; n: number }[]>`
      SELECT queue, count(*)::int AS n FROM dead_letters WHERE status = 'open' GROUP BY queue`;
    return Object.fromEntries(rows.map((r) => [r.queue, r.n]));
  }

  private where(f: DeadLetterFilter) {
    const sql = this.sql;
    return sql`true
      ${f.tenantId === undefined ? sql`` : sql`AND tenant_id = ${f.tenantId}`}
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ${f.queue ? sql`AND queue = ${f.queue}` : sql``}
      ${f.jobName ? sql`AND job_name = ${f.jobName}` : sql``}
      ${f.errorContains ? sql`AND strpos(lower(error), lower(${f.errorContains})) > 0` : sql``}
      ${f.failedBefore ? sql`AND failed_at < ${f.failedBefore}` : sql``}
      ${f.failedAfter ? sql`AND failed_at >= ${f.failedAfter}` : sql``}`;
  }
}
