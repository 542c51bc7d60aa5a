import type { SessionStatus } from '../../domain/session.model.js';
import type { LlmSummary, NewStoredSummary, SessionSummary, StoredSummary } from '../../domain/summary.model.js';
import type { SummaryRepository } from '../summary.port.js';
import type { Db } from './db.js';

interface Row {
  session_id: string;
  tenant_id: string;
  generator: string;
  summary: string;
  message_count: number;
  last_message_seq: number | null;
  last_message_at: string | null;
  session_status: SessionStatus;
  session_updated_at: string;
  generated_at: string;
  llm_summary: string | null;
  llm_model: string | null;
  llm_message_count: number | null;
  llm_generated_at: string | null;
}

function toStored(row: Row): StoredSummary {
  return {
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    generator: row.generator,
    summary: JSON.parse(row.summary) as SessionSummary,
    messageCount: row.message_count,
    lastMessageSeq: row.last_message_seq,
    lastMessageAt: row.last_message_at,
    sessionStatus: row.session_status,
    sessionUpdatedAt: row.session_updated_at,
    generatedAt: row.generated_at,
    llm:
      row.llm_summary === null
        ? null
        : {
            text: row.llm_summary,
            model: row.llm_model as string,
            messageCount: row.llm_message_count as number,
            generatedAt: row.llm_generated_at as string,
          },
  };
}

export class SqliteSummaryRepository implements SummaryRepository {
  private readonly getStmt;
  private readonly saveStmt;
  private readonly saveLlmStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT * FROM session_summaries WHERE session_id = ? AND tenant_id = ?');
    // Only a session of the tenant gets a row; an existing row covering a later state of the session is kept.
    this.saveStmt = db.prepare(`
      INSERT INTO session_summaries (session_id, tenant_id, generator, summary, message_count, last_message_seq,
        last_message_at, session_status, session_updated_at, generated_at)
      SELECT s.id, s.tenant_id, @generator, @summary, @messageCount, @lastMessageSeq, @lastMessageAt,
        @sessionStatus, @sessionUpdatedAt, @generatedAt
      FROM sessions s WHERE s.id = @sessionId AND s.tenant_id = @tenantId
      ON CONFLICT (session_id) DO UPDATE SET
        generator = excluded.generator, summary = excluded.summary, message_count = excluded.message_count,
        last_message_seq = excluded.last_message_seq, last_message_at = excluded.last_message_at,
        session_status = excluded.session_status, session_updated_at = excluded.session_updated_at,
        generated_at = excluded.generated_at
      WHERE session_summaries.session_updated_at <= excluded.session_updated_at`);
    this.saveLlmStmt = db.prepare(`
      UPDATE session_summaries SET llm_summary = @text, llm_model = @model, llm_message_count = @messageCount,
        llm_generated_at = @generatedAt
      WHERE session_id = @sessionId AND tenant_id = @tenantId
        AND (llm_message_count IS NULL OR llm_message_count <= @messageCount)`);
  }

  async get(tenantId: string, sessionId: string): Promise<StoredSummary | undefined> {
    const row = this.getStmt.get(sessionId, tenantId) as Row | undefined;
    return row ? toStored(row) : undefined;
  }

  async save(s: NewStoredSummary): Promise<StoredSummary | undefined> {
    this.saveStmt.run({ ...s, summary: JSON.stringify(s.summary) });
    return this.get(s.tenantId, s.sessionId);
  }

  async saveLlm(tenantId: string, sessionId: string, llm: LlmSummary): Promise<boolean> {
    if (this.saveLlmStmt.run({ tenantId, sessionId, ...llm }).changes > 0) return true;
    return (await this.get(tenantId, sessionId)) !== undefined;
  }
}
