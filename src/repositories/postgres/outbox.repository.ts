import type { JSONValue } from 'postgres';
import { outboxTraceparent } from '../../tracing/spans.js';
import type { OutboxJob, OutboxRepository, OutboxRow } from '../ports.js';
import type { Sql } from './sql.js';
import { transaction } from './transaction.js';

interface Row {
  id: string;
  tenant_id: string;
  queue: string;
  job_name: string;
  job_key: string;
  payload: Record<string, unknown>;
  created_at: Date;
  trace_context: string | null;
}

/** The rows of `jobs`, carrying the trace of the write (see outboxTraceparent). */
export function outboxRows(sql: Pick<Sql, 'json'>, jobs: OutboxJob[]) {
  const traceContext = outboxTraceparent(jobs);
  return jobs.map((j) => ({
    trace_context: traceContext,
    tenant_id: j.tenantId,
    queue: j.queue,
    job_name: j.name,
    job_key: j.key,
    payload: sql.json(j.payload as JSONValue),
  }));
}

export class PostgresOutboxRepository implements OutboxRepository {
  constructor(private readonly sql: Sql) {}

  async add(jobs: OutboxJob[]): Promise<void> {
    if (jobs.length > 0) await this.sql`INSERT INTO job_outbox ${this.sql(outboxRows(this.sql, jobs))}`;
  }

  async drain(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    return transaction(this.sql, async (tx) => {
      // SKIP LOCKED: relays in other processes take other rows instead of waiting for these. The rows are
      // deleted up front; if publishing throws, the transaction rolls back and they are still there.
      const rows = await tx<Row[]>`
        DELETE FROM job_outbox
        WHERE id IN (SELECT id FROM job_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`;
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      await publish(
        rows.map((r) => ({
          id: Number(r.id),
          tenantId: r.tenant_id,
          queue: r.queue,
          name: r.job_name,
          key: r.job_key,
          payload: r.payload,
          createdAt: r.created_at.toISOString(),
          traceContext: r.trace_context,
        })),
      );
      return rows.length;
    });
  }

  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = await this.sql<{ pending: number; age: number | null }[]>`
      SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS age FROM job_outbox`;
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  }
}
