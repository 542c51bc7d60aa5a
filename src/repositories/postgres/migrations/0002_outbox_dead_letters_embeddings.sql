-- Transactional outbox: rows are written with the data they follow up on and deleted once published.
CREATE TABLE job_outbox (
  id         bigserial PRIMARY KEY,
  tenant_id  text        NOT NULL,
  queue      text        NOT NULL,
  job_name   text        NOT NULL,
  job_key    text        NOT NULL,
  payload    jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX job_outbox_key_idx ON job_outbox (job_key);

-- Jobs that exhausted their attempts: durable here, whatever Redis keeps.
CREATE TABLE dead_letters (
  id              uuid PRIMARY KEY,
  tenant_id       text        NOT NULL,
  queue           text        NOT NULL,
  job_name        text        NOT NULL,
  job_key         text        NOT NULL UNIQUE,
  payload         jsonb       NOT NULL,
  error           text        NOT NULL,
  stack           text,
  attempts        integer     NOT NULL,
  status          text        NOT NULL CHECK (status IN ('open', 'retried', 'discarded')),
  retry_count     integer     NOT NULL DEFAULT 0,
  first_failed_at timestamptz NOT NULL,
  failed_at       timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX dead_letters_status_failed_idx ON dead_letters (status, failed_at DESC, id DESC);
CREATE INDEX dead_letters_tenant_failed_idx ON dead_letters (tenant_id, failed_at DESC, id DESC);

-- One vector per message and model; the model id and dimension travel with the vector.
CREATE TABLE message_embeddings (
  message_id uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  tenant_id  text        NOT NULL,
  model      text        NOT NULL,
  dim        integer     NOT NULL,
  embedding  vector      NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (message_id, model)
);
CREATE INDEX message_embeddings_model_idx ON message_embeddings (model, tenant_id);

-- The reconciler scans recent messages by creation time.
CREATE INDEX messages_created_idx ON messages (created_at);
