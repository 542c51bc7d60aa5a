import { NotFoundError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Session } from '../domain/session.model.js';
import {
  coversSession,
  type LlmSummary,
  type SessionSummary,
  type StoredSummary,
  SUMMARY_GENERATOR,
} from '../domain/summary.model.js';
import type { SummaryRepository } from '../repositories/summary.port.js';
import type { MessageService } from './message.service.js';
import type { SessionService } from './session.service.js';
import { SummaryBuilder } from './summary/extract-summary.js';
import { type LlmSummarizer, TranscriptBuilder } from './summary/llm-summarizer.js';

export type { SessionSummary };

/** What summarize_session answers: the extractive summary, when it was made, and the LLM summary if any. */
export interface SummaryAnswer extends SessionSummary {
  generatedAt: string;
  /** The stored summary was missing or behind the session (new messages, a status change) before this call. */
  stale: boolean;
  llmSummary: { text: string; model: string; generatedAt: string; stale: boolean } | null;
}

/** What one refresh did: the extractive and LLM parts, each refreshed now, already fresh, or (LLM) not configured. */
export interface RefreshReport {
  extractive: 'refreshed' | 'fresh';
  llm: 'refreshed' | 'fresh' | 'off';
}

export interface SummaryServiceOptions {
  /** The LLM that writes prose summaries; only the summarize-session job calls it. (Default: none) */
  llm?: LlmSummarizer;
  clock?: () => Date;
}

/**
 * Session summaries: extractive (offline, deterministic, read from the messages a page at a time) and stored, so a
 * read returns the stored one while it still covers the session. The summarize-session job refreshes them after
 * writes and adds the optional LLM summary, which is never written on the request path.
 */
export class SummaryService {
  private readonly llm: LlmSummarizer | undefined;
  private readonly clock: () => Date;

  constructor(
    private readonly sessions: SessionService,
    private readonly messages: MessageService,
    private readonly stored: SummaryRepository,
    options: SummaryServiceOptions = {},
  ) {
    this.llm = options.llm;
    this.clock = options.clock ?? (() => new Date());
  }

  /** The stored summary when it still covers the session (unless `refresh`), else a new one, stored. */
  async summarize(principal: Principal, sessionId: string, refresh = false): Promise<SummaryAnswer> {
    const session = await this.sessions.get(principal, sessionId);
    const existing = await this.stored.get(principal.tenantId, session.id);
    const fresh = existing !== undefined && coversSession(existing, session);
    const current = fresh && !refresh ? existing : await this.compute(principal, session);
    return answer(current, session, !fresh);
  }

  /**
   * What the summarize-session job does: brings the stored summary up to date, then the LLM summary when one is
   * configured. Undefined when the session is gone. A provider failure is thrown after the extractive summary is
   * stored, so a retry only redoes the LLM part.
   */
  async refresh(tenantId: string, sessionId: string): Promise<RefreshReport | undefined> {
    const principal = { tenantId };
    const session = await this.sessions.get(principal, sessionId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!session) return undefined;
    let current = await this.stored.get(tenantId, sessionId);
    const extractive = current !== undefined && coversSession(current, session) ? 'fresh' : 'refreshed';
    if (extractive === 'refreshed') current = await this.compute(principal, session);
    if (!this.llm || !current) return { extractive, llm: 'off' };
    if (current.llm && current.llm.messageCount === current.messageCount) return { extractive, llm: 'fresh' };
    await this.writeLlmSummary(principal, this.llm, current);
    return { extractive, llm: 'refreshed' };
  }

  /** Reads the messages once, folds them into a summary and stores it with what it covers. */
  private async compute(principal: Principal, session: Session): Promise<StoredSummary> {
    const builder = new SummaryBuilder(session);
    let last: { seq: number; createdAt: string } | null = null;
    for await (const message of this.messages.all(principal, session.id)) {
      builder.add(message);
      last = message;
    }
    const summary = builder.build();
    const made = {
      sessionId: session.id,
      tenantId: session.tenantId,
      generator: SUMMARY_GENERATOR,
      summary,
      // What was read, which may be more than the session row said when a write landed in between.
      messageCount: summary.counts.messages,
      lastMessageSeq: last?.seq ?? null,
      lastMessageAt: last?.createdAt ?? null,
      sessionStatus: session.status,
      sessionUpdatedAt: session.updatedAt,
      generatedAt: this.clock().toISOString(),
    };
    // Undefined only when the session was deleted meanwhile: answer what was made.
    return (await this.stored.save(made)) ?? { ...made, llm: null };
  }

  private async writeLlmSummary(principal: Principal, llm: LlmSummarizer, current: StoredSummary): Promise<void> {
    const transcript = new TranscriptBuilder(llm.maxInputChars);
    let count = 0;
    for await (const message of this.messages.all(principal, current.sessionId)) {
      if (count === current.messageCount) break;
      transcript.add(message);
      count++;
    }
    const text = await llm.summarize(transcript.build());
    const record: LlmSummary = { text, model: llm.model, messageCount: count, generatedAt: this.clock().toISOString() };
    await this.stored.saveLlm(principal.tenantId, current.sessionId, record);
  }
}

function answer(stored: StoredSummary, session: Session, stale: boolean): SummaryAnswer {
  const { llm } = stored;
  return {
    // The name may have changed since without making the summary stale.
    ...stored.summary,
    name: session.name,
    generatedAt: stored.generatedAt,
    stale,
    llmSummary: llm
      ? {
          text: llm.text,
          model: llm.model,
          generatedAt: llm.generatedAt,
          stale: llm.messageCount !== stored.messageCount,
        }
      : null,
  };
}
