import { outboxTraceparent } from '../../tracing/spans.js';
import type { OutboxJob, OutboxRepository, OutboxRow } from '../ports.js';
import type { Db } from './db.js';

interface Row {
  id: number;
  tenant_id: string;
  queue: string;
  job_name: string;
  job_key: string;
  payload: string;
  created_at: string;
  trace_context: string | null;
}

export class SqliteOutboxRepository implements OutboxRepository {
  private readonly insertStmt;
  private readonly takeStmt;
  private readonly deleteStmt;
  private readonly backlogStmt;
  /** One drain at a time: a second relay in this process must not publish the same rows. */
  private draining: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO job_outbox (tenant_id, queue, job_name, job_key, payload, trace_context)
      VALUES (@tenantId, @queue, @name, @key, @payload, @traceContext)`);
    this.takeStmt = db.prepare('SELECT * FROM job_outbox ORDER BY id LIMIT ?');
    this.deleteStmt = db.prepare('DELETE FROM job_outbox WHERE id <= ? AND id IN (SELECT value FROM json_each(?))');
    this.backlogStmt = db.prepare(`
      SELECT count(*) AS pending, min(created_at) AS oldest FROM job_outbox`);
  }

  /** Writes jobs; called inside the caller's transaction when it follows up a write. */
  insert(jobs: OutboxJob[]): void {
    if (jobs.length === 0) return;
    const traceContext = outboxTraceparent(jobs);
    for (const j of jobs) this.insertStmt.run({ ...j, payload: JSON.stringify(j.payload), traceContext });
  }

  async add(jobs: OutboxJob[]): Promise<void> {
    this.db.transaction(() => this.insert(jobs))();
  }

  drain(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    const run = this.draining.then(async () => {
      const rows = (this.takeStmt.all(limit) as Row[]).map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        queue: r.queue,
        name: r.job_name,
        key: r.job_key,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
        createdAt: r.created_at,
        traceContext: r.trace_context,
      }));
      if (rows.length === 0) return 0;
      await publish(rows);
      const ids = rows.map((r) => r.id);
      this.deleteStmt.run(Math.max(...ids), JSON.stringify(ids));
      return rows.length;
    });
    this.draining = run.catch(() => undefined);
    return run;
  }

  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const row = this.backlogStmt.get() as { pending: number; oldest: string | null };
    const age = row.oldest ? (Date.now() - Date.parse(row.oldest)) / 1000 : 0;
    return { pending: row.pending, oldestAgeSeconds: Math.max(0, age) };
  }
}
