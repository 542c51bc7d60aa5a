-- Where each push target (Akosha) stands: per kind of item it receives, a (change time, id) keyset cursor that
-- moves only after the target acknowledged a batch, and how many items it took; per target, the last outcome.
-- One cursor per target and kind, across tenants: the sync is an operator's pipe to one Akosha, every item carries
-- its tenant (see docs/ecosystem.md).
CREATE TABLE sync_targets (
  target          text        PRIMARY KEY,
  last_error      text,
  last_error_at   timestamptz,
  last_success_at timestamptz,
  updated_at      timestamptz NOT NULL
);
CREATE TABLE sync_cursors (
  target        text        NOT NULL,
  kind          text        NOT NULL,
  cursor_ts     timestamptz NOT NULL,
  cursor_id     uuid        NOT NULL,
  items_pushed  bigint      NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (target, kind)
);
-- The sync reads each kind in (change time, id) order; reflections and patterns have theirs (0006).
CREATE INDEX code_graphs_updated_id_idx ON code_graphs (updated_at, id);
-- A summary's change time is its newest part's (the extractive summary or the LLM one).
CREATE INDEX session_summaries_changed_idx ON session_summaries ((greatest(generated_at, llm_generated_at)), session_id);
