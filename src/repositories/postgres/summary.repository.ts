import type { JSONValue } from 'postgres';
import type { SessionStatus } from '../../domain/session.model.js';
import type { LlmSummary, NewStoredSummary, SessionSummary, StoredSummary } from '../../domain/summary.model.js';
import type { SummaryRepository } from '../summary.port.js';
import type { Sql } from './sql.js';

interface Row {
  session_id: string;
  tenant_id: string;
  generator: string;
  summary: SessionSummary;
  message_count: number;
  last_message_seq: number | null;
  last_message_at: Date | null;
  session_status: SessionStatus;
  session_updated_at: Date;
  generated_at: Date;
  llm_summary: string | null;
  llm_model: string | null;
  llm_message_count: number | null;
  llm_generated_at: Date | null;
}

function toStored(row: Row): StoredSummary {
  return {
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    generator: row.generator,
    summary: row.summary,
    messageCount: row.message_count,
    lastMessageSeq: row.last_message_seq,
    lastMessageAt: row.last_message_at?.toISOString() ?? null,
    sessionStatus: row.session_status,
    sessionUpdatedAt: row.session_updated_at.toISOString(),
    generatedAt: row.generated_at.toISOString(),
    llm:
      row.llm_summary === null
        ? null
        : {
            text: row.llm_summary,
            model: row.llm_model as string,
            messageCount: row.llm_message_count as number,
            generatedAt: (row.llm_generated_at as Date).toISOString(),
          },
  };
}

export class PostgresSummaryRepository implements SummaryRepository {
  constructor(private readonly sql: Sql) {}

  async get(tenantId: string, sessionId: string): Promise<StoredSummary | undefined> {
    const [row] = await this.sql<Row[]>`
      SELECT * FROM session_summaries WHERE session_id = ${sessionId} AND tenant_id = ${tenantId}`;
    return row ? toStored(row) : undefined;
  }

  async save(s: NewStoredSummary): Promise<StoredSummary | undefined> {
    // Only a session of the tenant gets a row; an existing row covering a later state of the session is kept.
    await this.sql`
      INSERT INTO session_summaries (session_id, tenant_id, generator, summary, message_count, last_message_seq,
        last_message_at, session_status, session_updated_at, generated_at)
      SELECT s.id, s.tenant_id, ${s.generator}, ${this.sql.json(s.summary as unknown as JSONValue)},
        ${s.messageCount}, ${s.lastMessageSeq}, ${s.lastMessageAt}, ${s.sessionStatus}, ${s.sessionUpdatedAt},
        ${s.generatedAt}
      FROM sessions s WHERE s.id = ${s.sessionId} AND s.tenant_id = ${s.tenantId}
      ON CONFLICT (session_id) DO UPDATE SET
        generator = excluded.generator, summary = excluded.summary, message_count = excluded.message_count,
        last_message_seq = excluded.last_message_seq, last_message_at = excluded.last_message_at,
        session_status = excluded.session_status, session_updated_at = excluded.session_updated_at,
        generated_at = excluded.generated_at
      WHERE session_summaries.session_updated_at <= excluded.session_updated_at`;
    return this.get(s.tenantId, s.sessionId);
  }

  async saveLlm(tenantId: string, sessionId: string, llm: LlmSummary): Promise<boolean> {
    const [row] = await this.sql<{ found: boolean }[]>`
      WITH target AS (
        SELECT session_id, llm_message_count FROM session_summaries
        WHERE session_id = ${sessionId} AND tenant_id = ${tenantId}
      ), updated AS (
        UPDATE session_summaries SET llm_summary = ${llm.text}, llm_model = ${llm.model},
          llm_message_count = ${llm.messageCount}, llm_generated_at = ${llm.generatedAt}
        WHERE session_id = (SELECT session_id FROM target)
          AND (llm_message_count IS NULL OR llm_message_count <= ${llm.messageCount})
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM target) AS found`;
    return row?.found ?? false;
  }
}
