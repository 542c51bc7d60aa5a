CREATE TABLE job_outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id  TEXT NOT NULL,
  queue      TEXT NOT NULL,
  job_name   TEXT NOT NULL,
  job_key    TEXT NOT NULL,
  payload    TEXT NOT NULL CHECK (json_valid(payload)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX job_outbox_key_idx ON job_outbox (job_key);

CREATE TABLE dead_letters (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT    NOT NULL,
  queue           TEXT    NOT NULL,
  job_name        TEXT    NOT NULL,
  job_key         TEXT    NOT NULL UNIQUE,
  payload         TEXT    NOT NULL CHECK (json_valid(payload)),
  error           TEXT    NOT NULL,
  stack           TEXT,
  attempts        INTEGER NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('open', 'retried', 'discarded')),
  retry_count     INTEGER NOT NULL DEFAULT 0,
  first_failed_at TEXT    NOT NULL,
  failed_at       TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL
) STRICT;
CREATE INDEX dead_letters_status_failed_idx ON dead_letters (status, failed_at DESC, id DESC);
CREATE INDEX dead_letters_tenant_failed_idx ON dead_letters (tenant_id, failed_at DESC, id DESC);

-- Vectors are little-endian float32 blobs, the format sqlite-vec's functions read.
CREATE TABLE message_embeddings (
  message_id TEXT    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  tenant_id  TEXT    NOT NULL,
  model      TEXT    NOT NULL,
  dim        INTEGER NOT NULL,
  embedding  BLOB    NOT NULL,
  created_at TEXT    NOT NULL,
  PRIMARY KEY (message_id, model)
) STRICT;
CREATE INDEX message_embeddings_model_idx ON message_embeddings (model, tenant_id);

-- The reconciler scans recent messages by creation time.
CREATE INDEX messages_created_idx ON messages (created_at);
