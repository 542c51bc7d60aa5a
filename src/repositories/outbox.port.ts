/** Work to do after a write, recorded in the same transaction and published by the relay. */
export interface OutboxJob {
  tenantId: string;
  queue: string;
  name: string;
  /** Deterministic logical id: the same work always gets the same key, so publishing twice is harmless. */
  key: string;
  payload: Record<string, unknown>;
}

export interface OutboxRow extends OutboxJob {
  id: number;
  createdAt: string;
  /** W3C traceparent of the write that queued it; null when tracing was off. */
  traceContext: string | null;
}

export interface OutboxRepository {
  add(jobs: OutboxJob[]): Promise<void>;
  /**
   * Hands up to `limit` of the oldest pending rows to `publish` and deletes them once it resolves.
   * When `publish` throws the rows stay for the next attempt. Concurrent relays never get the same row.
   * Returns how many rows were published.
   */
  drain(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number>;
  /** Pending rows and the age in seconds of the oldest one (0 when empty). */
  backlog(): Promise<{ pending: number; oldestAgeSeconds: number }>;
}
