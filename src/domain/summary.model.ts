import type { MessageRole } from './message.model.js';
import type { Session, SessionStatus } from './session.model.js';

/**
 * An extractive session summary: deterministic, offline, made only of what the messages say. Every list is
 * bounded and ordered (by first appearance, or by count where it says so), so the same session always gives
 * the same summary.
 */
export interface SessionSummary {
  sessionId: string;
  project: string;
  name: string;
  status: Session['status'];
  /** The first user message's opening, when there is one. */
  goal: string | null;
  /** Sentences that record a choice ("decided to", "we'll use", "chose", "switch to"), oldest first. */
  decisions: string[];
  /** File paths mentioned, most mentioned first. */
  filesTouched: Array<{ path: string; mentions: number }>;
  /** Shell commands seen (`$ cmd` lines, or tool messages' first lines), oldest first, without repeats. */
  commands: string[];
  /** Error lines by signature, most frequent first. */
  errors: Array<{ line: string; count: number }>;
  /** TODO/FIXME lines, and questions left in the last messages, oldest first. */
  openItems: string[];
  /** The last assistant message's opening, when there is one. */
  outcome: string | null;
  counts: { messages: number; chars: number; byRole: Record<MessageRole, number> };
  startedAt: string | null;
  lastMessageAt: string | null;
  durationSeconds: number;
}

/**
 * The version of the extractive summarizer. A stored summary made by another version is stale: bump this when
 * SummaryBuilder's output changes.
 */
export const SUMMARY_GENERATOR = 'extractive-1';

/** What a stored summary was made from: enough to tell whether the session changed since. */
export interface SummaryCoverage {
  /** Messages the summary was made from (seq is gap-free, so also the last seq read). */
  messageCount: number;
  lastMessageSeq: number | null;
  lastMessageAt: string | null;
  sessionStatus: SessionStatus;
  sessionUpdatedAt: string;
}

/** An LLM-written summary, with the number of messages it was written from. */
export interface LlmSummary {
  text: string;
  model: string;
  messageCount: number;
  generatedAt: string;
}

/** A session's stored summary (table `session_summaries`). */
export interface StoredSummary extends SummaryCoverage {
  sessionId: string;
  tenantId: string;
  generator: string;
  summary: SessionSummary;
  generatedAt: string;
  llm: LlmSummary | null;
}

export type NewStoredSummary = Omit<StoredSummary, 'llm'>;

/** A stored summary still covers the session when no message was added and the status did not change since. */
export function coversSession(stored: StoredSummary, session: Session): boolean {
  return (
    stored.generator === SUMMARY_GENERATOR &&
    stored.messageCount === session.messageCount &&
    stored.sessionStatus === session.status
  );
}
