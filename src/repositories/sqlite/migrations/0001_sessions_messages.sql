CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT    NOT NULL,
  project       TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('active', 'ended', 'archived')),
  metadata      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  message_count INTEGER NOT NULL DEFAULT 0,
  -- ISO 8601 UTC with milliseconds: text order is time order.
  created_at    TEXT    NOT NULL,
  updated_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX sessions_tenant_created_idx ON sessions (tenant_id, created_at, id);
CREATE INDEX sessions_tenant_updated_idx ON sessions (tenant_id, updated_at, id);
CREATE INDEX sessions_tenant_project_created_idx ON sessions (tenant_id, project, created_at, id);

CREATE TABLE messages (
  id              TEXT PRIMARY KEY,
  session_id      TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  tenant_id       TEXT    NOT NULL,
  role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content         TEXT    NOT NULL,
  metadata        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  seq             INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at      TEXT    NOT NULL,
  UNIQUE (session_id, seq)
) STRICT;

CREATE UNIQUE INDEX messages_idempotency_idx ON messages (session_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_tenant_created_idx ON messages (tenant_id, created_at);
