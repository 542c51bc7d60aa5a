import type { CodeGraph, CodeGraphInfo } from '../domain/code-graph.model.js';

export interface NewCodeGraph extends Omit<CodeGraph, 'createdAt' | 'updatedAt'> {
  tenantId: string;
  now: string;
}

/** Code graphs per tenant, project and commit. Every method is scoped by tenant. */
export interface CodeGraphRepository {
  /** Stores the graph of a project's commit, replacing the one stored for that commit (keeping its id). */
  put(graph: NewCodeGraph): Promise<CodeGraphInfo>;
  /** Newest first (created_at, then id); `after` is the keyset position of the previous page's last item. */
  list(
    tenantId: string,
    q: { project?: string; limit: number; after?: { createdAt: string; id: string } },
  ): Promise<CodeGraphInfo[]>;
  /** By id, or a project's commit, or (commit absent) the project's newest graph. */
  get(tenantId: string, by: { id: string } | { project: string; commit?: string }): Promise<CodeGraph | undefined>;
}
