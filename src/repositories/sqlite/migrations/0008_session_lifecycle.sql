-- Session lifecycle (issue 13): where a session sits in an orchestration, its checkpoints, and workflow state.
-- A session's place in a workflow: the session that delegated it (gone → NULL) and the workflow it serves.
CREATE TABLE session_links (
  session_id        TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id         TEXT NOT NULL,
  parent_session_id TEXT REFERENCES sessions (id) ON DELETE SET NULL,
  workflow_id       TEXT,
  created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX session_links_workflow_idx ON session_links (tenant_id, workflow_id, created_at)
  WHERE workflow_id IS NOT NULL;
CREATE INDEX session_links_parent_idx ON session_links (tenant_id, parent_session_id, created_at)
  WHERE parent_session_id IS NOT NULL;

-- Named checkpoints of a session, numbered per session (seq gap-free from 1), gone with the session.
CREATE TABLE session_checkpoints (
  id              TEXT PRIMARY KEY,
  session_id      TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id       TEXT    NOT NULL,
  seq             INTEGER NOT NULL,
  name            TEXT    NOT NULL,
  checkpoint_type TEXT    NOT NULL,
  summary         TEXT,
  open_tasks      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(open_tasks)),
  files           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
  quality_score   REAL,
  state           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(state)),
  -- The session's message count when the checkpoint was taken: what it covers.
  message_count   INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at      TEXT    NOT NULL,
  UNIQUE (session_id, seq)
) STRICT;
CREATE UNIQUE INDEX session_checkpoints_idempotency_idx ON session_checkpoints (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Orchestrator workflow state, one document per workflow id, versioned for optimistic concurrency.
CREATE TABLE workflow_states (
  tenant_id   TEXT    NOT NULL,
  workflow_id TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  state       TEXT    NOT NULL CHECK (json_valid(state)),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL,
  PRIMARY KEY (tenant_id, workflow_id)
) STRICT;

-- Code graphs handed over by Mahavishnu, one per project and commit (a re-sent commit replaces its graph).
CREATE TABLE code_graphs (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT    NOT NULL,
  project     TEXT    NOT NULL,
  commit_sha  TEXT    NOT NULL,
  graph       TEXT    NOT NULL CHECK (json_valid(graph)),
  metadata    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  node_count  INTEGER NOT NULL,
  edge_count  INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL,
  UNIQUE (tenant_id, project, commit_sha)
) STRICT;
CREATE INDEX code_graphs_tenant_created_idx ON code_graphs (tenant_id, created_at, id);
