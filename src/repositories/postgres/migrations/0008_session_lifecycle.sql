-- Session lifecycle (issue 13): where a session sits in an orchestration, its checkpoints, and workflow state.
-- A session's place in a workflow: the session that delegated it (gone → NULL) and the workflow it serves.
CREATE TABLE session_links (
  session_id        uuid PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id         text        NOT NULL,
  parent_session_id uuid REFERENCES sessions (id) ON DELETE SET NULL,
  workflow_id       text,
  created_at        timestamptz NOT NULL
);
CREATE INDEX session_links_workflow_idx ON session_links (tenant_id, workflow_id, created_at)
  WHERE workflow_id IS NOT NULL;
CREATE INDEX session_links_parent_idx ON session_links (tenant_id, parent_session_id, created_at)
  WHERE parent_session_id IS NOT NULL;

-- Named checkpoints of a session, numbered per session (seq gap-free from 1), gone with the session.
CREATE TABLE session_checkpoints (
  id              uuid PRIMARY KEY,
  session_id      uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id       text        NOT NULL,
  seq             integer     NOT NULL,
  name            text        NOT NULL,
  checkpoint_type text        NOT NULL,
  summary         text,
  open_tasks      jsonb       NOT NULL DEFAULT '[]'::jsonb,
  files           jsonb       NOT NULL DEFAULT '[]'::jsonb,
  quality_score   double precision,
  state           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- The session's message count when the checkpoint was taken: what it covers.
  message_count   integer     NOT NULL,
  idempotency_key text,
  created_at      timestamptz NOT NULL,
  UNIQUE (session_id, seq)
);
CREATE UNIQUE INDEX session_checkpoints_idempotency_idx ON session_checkpoints (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Orchestrator workflow state, one document per workflow id, versioned for optimistic concurrency.
CREATE TABLE workflow_states (
  tenant_id   text        NOT NULL,
  workflow_id text        NOT NULL,
  version     integer     NOT NULL,
  state       jsonb       NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, workflow_id)
);

-- Code graphs handed over by Mahavishnu, one per project and commit (a re-sent commit replaces its graph).
CREATE TABLE code_graphs (
  id          uuid PRIMARY KEY,
  tenant_id   text        NOT NULL,
  project     text        NOT NULL,
  commit_sha  text        NOT NULL,
  graph       jsonb       NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  node_count  integer     NOT NULL,
  edge_count  integer     NOT NULL,
  bytes       integer     NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  UNIQUE (tenant_id, project, commit_sha)
);
CREATE INDEX code_graphs_tenant_created_idx ON code_graphs (tenant_id, created_at, id);
