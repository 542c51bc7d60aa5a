-- Stored session summaries (summarize_session, the summarize-session job): one row per session, gone with it.
-- What the summary covers (message count, last message, session status and updated_at) decides staleness; the
-- optional LLM summary records how many messages it was written from, so it can be stale on its own.
CREATE TABLE session_summaries (
  session_id         TEXT    PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id          TEXT    NOT NULL,
  generator          TEXT    NOT NULL,
  summary            TEXT    NOT NULL CHECK (json_valid(summary)),
  message_count      INTEGER NOT NULL,
  last_message_seq   INTEGER,
  last_message_at    TEXT,
  session_status     TEXT    NOT NULL,
  -- ISO 8601 UTC with milliseconds: text order is time order.
  session_updated_at TEXT    NOT NULL,
  generated_at       TEXT    NOT NULL,
  llm_summary        TEXT,
  llm_model          TEXT,
  llm_message_count  INTEGER,
  llm_generated_at   TEXT,
  CHECK (
    (llm_summary IS NULL) = (llm_model IS NULL) AND
    (llm_summary IS NULL) = (llm_message_count IS NULL) AND
    (llm_summary IS NULL) = (llm_generated_at IS NULL)
  )
) STRICT;
CREATE INDEX session_summaries_tenant_idx ON session_summaries (tenant_id, generated_at);
