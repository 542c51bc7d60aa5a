import type { SessionStatus } from '../domain/session.model.js';

/** A session as a store inserts it (the session repository and the lifecycle repository's linked sessions). */
export interface NewSession {
  id: string;
  tenantId: string;
  project: string;
  name: string;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  createdAt: string;
}
