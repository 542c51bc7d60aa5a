import type { QualityRun } from '../domain/quality.model.js';

export interface NewQualityRun extends QualityRun {
  tenantId: string;
}

export interface QualityRunQuery {
  project: string;
  /** Runs that happened at or after this time. */
  since: string;
  /** Only this tool. */
  tool?: string;
  /** Only tools containing this text (case-insensitive). */
  toolContains?: string;
  /** `asc`: oldest first (ran_at, then id); `desc`: newest first. */
  order: 'asc' | 'desc';
  limit: number;
}

/** Quality runs per tenant and project. Every method is scoped by tenant. */
export interface QualityRepository {
  /** Stores a run; with an idempotency key already used by the tenant, stores nothing and returns that run. */
  insert(run: NewQualityRun): Promise<{ run: QualityRun; created: boolean }>;
  list(tenantId: string, q: QualityRunQuery): Promise<QualityRun[]>;
}
