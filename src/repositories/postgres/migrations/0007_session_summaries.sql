-- Stored session summaries (summarize_session, the summarize-session job): one row per session, gone with it.
-- What the summary covers (message count, last message, session status and updated_at) decides staleness; the
-- optional LLM summary records how many messages it was written from, so it can be stale on its own.
CREATE TABLE session_summaries (
  session_id         uuid        PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id          text        NOT NULL,
  generator          text        NOT NULL,
  summary            jsonb       NOT NULL,
  message_count      integer     NOT NULL,
  last_message_seq   integer,
  last_message_at    timestamptz,
  session_status     text        NOT NULL,
  session_updated_at timestamptz NOT NULL,
  generated_at       timestamptz NOT NULL,
  llm_summary        text,
  llm_model          text,
  llm_message_count  integer,
  llm_generated_at   timestamptz,
  CONSTRAINT session_summaries_llm_whole CHECK (
    (llm_summary IS NULL) = (llm_model IS NULL) AND
    (llm_summary IS NULL) = (llm_message_count IS NULL) AND
    (llm_summary IS NULL) = (llm_generated_at IS NULL)
  )
);
CREATE INDEX session_summaries_tenant_idx ON session_summaries (tenant_id, generated_at);
