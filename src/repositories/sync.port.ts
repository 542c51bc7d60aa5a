/** A keyset position in sync order, (ts, id); rows strictly after it are read. */
export interface SyncPosition {
  ts: string;
  id: string;
}

/** What the Akosha sync pushes, in the order a run pushes them. */
export const SYNC_KINDS = ['reflections', 'patterns', 'session_summaries', 'code_graphs'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

/**
 * One item as the sync reads it, any tenant's: `id` is the row's (a session's id for a summary), `updatedAt` the
 * change time the cursor moves by, `fields` the row's own values by name (JSON columns parsed, timestamps ISO 8601).
 */
export interface SyncRecord {
  kind: SyncKind;
  id: string;
  tenantId: string;
  project: string | null;
  updatedAt: string;
  fields: Record<string, unknown>;
}

/** A target's position in one kind: items after `position` are not pushed yet. */
export interface SyncCursor {
  kind: SyncKind;
  /** Null before the first acknowledged batch. */
  position: SyncPosition | null;
  itemsPushed: number;
  /** When the cursor last moved. */
  updatedAt: string | null;
}

export interface SyncTargetState {
  target: string;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSuccessAt: string | null;
  /** One per SYNC_KINDS entry, in that order. */
  cursors: SyncCursor[];
}

/** Cross-tenant reads and the cursors of push targets (operator data: the sync itself, sync_status). */
export interface SyncRepository {
  /** Up to `limit` items of `kind` after `after` (null: from the start) in (updatedAt, id) order. */
  changedSince(kind: SyncKind, after: SyncPosition | null, limit: number): Promise<SyncRecord[]>;
  /** Items of `kind` after `after` and the change time of the oldest of them (null when none). */
  backlog(kind: SyncKind, after: SyncPosition | null): Promise<{ pending: number; oldest: string | null }>;
  state(target: string): Promise<SyncTargetState>;
  /**
   * Moves the cursor of `target` and `kind` to `position` and adds `pushed` to its count, only forward: a run that
   * finishes after a newer one changes nothing. False when it did not move.
   */
  advance(target: string, kind: SyncKind, position: SyncPosition, pushed: number, now: string): Promise<boolean>;
  /** Records the outcome of a run: `error` null for a success (clears the last error), else its message. */
  recordOutcome(target: string, error: string | null, now: string): Promise<void>;
}
