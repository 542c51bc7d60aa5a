import type { Checkpoint, SessionLink, WorkflowState } from '../domain/lifecycle.model.js';
import type { Session } from '../domain/session.model.js';
import type { NewSession } from './session.port.js';

/** A checkpoint to store; without a name it is called `checkpoint <seq>`. */
export type NewCheckpoint = Omit<Checkpoint, 'seq' | 'messageCount' | 'name'> & { name: string | null };

export interface LinkedSession {
  session: Session;
  link: SessionLink;
}

/** The outcome of a versioned write: the stored state, or the version found when it was not the one expected. */
export type WorkflowWrite = { ok: true; state: WorkflowState } | { ok: false; currentVersion: number };

/**
 * Session lineage, checkpoints and workflow state. Every method is scoped by tenant; both adapters pass the
 * lifecycle contract suite.
 */
export interface LifecycleRepository {
  /** Creates a session and its link in one transaction. */
  createLinkedSession(session: NewSession, link: Omit<SessionLink, 'sessionId'>): Promise<Session>;
  getLink(tenantId: string, sessionId: string): Promise<SessionLink | undefined>;
  /** Sessions of a workflow, or children of a session, oldest first (created_at, then id). */
  listLinked(
    tenantId: string,
    filter: { workflowId: string } | { parentSessionId: string },
    limit: number,
  ): Promise<LinkedSession[]>;
  /**
   * Stores a checkpoint with the session's next seq and current message count, in one transaction. A checkpoint
   * with the same idempotency key in this session is returned instead (created: false). Undefined when the
   * tenant has no such session.
   */
  addCheckpoint(checkpoint: NewCheckpoint): Promise<{ checkpoint: Checkpoint; created: boolean } | undefined>;
  /** Newest first; `beforeSeq` is an exclusive bound. */
  listCheckpoints(tenantId: string, sessionId: string, limit: number, beforeSeq?: number): Promise<Checkpoint[]>;
  getWorkflowState(tenantId: string, workflowId: string): Promise<WorkflowState | undefined>;
  /**
   * Writes the whole state with version + 1 (1 when new). With `expectedVersion`, only when the stored version
   * is that (0: none stored); otherwise nothing is written and the current version is returned.
   */
  putWorkflowState(
    tenantId: string,
    workflowId: string,
    state: Record<string, unknown>,
    expectedVersion: number | undefined,
    now: string,
  ): Promise<WorkflowWrite>;
}
