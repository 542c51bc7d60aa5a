CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE sessions (
  id            uuid PRIMARY KEY,
  tenant_id     text        NOT NULL,
  project       text        NOT NULL,
  name          text        NOT NULL,
  status        text        NOT NULL CHECK (status IN ('active', 'ended', 'archived')),
  metadata      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  message_count integer     NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- Keyset pagination: one index per sort order, with and without the project filter.
CREATE INDEX sessions_tenant_created_idx ON sessions (tenant_id, created_at, id);
CREATE INDEX sessions_tenant_updated_idx ON sessions (tenant_id, updated_at, id);
CREATE INDEX sessions_tenant_project_created_idx ON sessions (tenant_id, project, created_at, id);

CREATE TABLE messages (
  id              uuid PRIMARY KEY,
  session_id      uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id       text        NOT NULL,
  role            text        NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content         text        NOT NULL,
  metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  seq             integer     NOT NULL,
  idempotency_key text,
  created_at      timestamptz NOT NULL,
  CONSTRAINT messages_session_seq_key UNIQUE (session_id, seq)
);

CREATE UNIQUE INDEX messages_idempotency_idx ON messages (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_tenant_created_idx ON messages (tenant_id, created_at);
