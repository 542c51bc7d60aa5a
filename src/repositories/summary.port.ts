import type { LlmSummary, NewStoredSummary, StoredSummary } from '../domain/summary.model.js';

/** Stored session summaries, one per session, deleted with it. Every method is scoped by tenant. */
export interface SummaryRepository {
  get(tenantId: string, sessionId: string): Promise<StoredSummary | undefined>;
  /**
   * Stores the extractive summary of a session of the tenant, replacing the stored one unless that one covers a
   * later state of the session (a newer `sessionUpdatedAt`: a slower writer never rolls a summary back). The LLM
   * summary, if any, is kept. Returns the row now stored, or undefined when the tenant has no such session.
   */
  save(summary: NewStoredSummary): Promise<StoredSummary | undefined>;
  /**
   * Sets the LLM summary of a stored summary, unless the stored LLM summary was written from more messages.
   * False when no summary is stored for that session of the tenant.
   */
  saveLlm(tenantId: string, sessionId: string, llm: LlmSummary): Promise<boolean>;
}
