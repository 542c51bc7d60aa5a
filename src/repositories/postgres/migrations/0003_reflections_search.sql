-- Reflections: short insights, decisions and lessons, deduplicated by normalised content per tenant and project.
CREATE TABLE reflections (
  id           uuid PRIMARY KEY,
  tenant_id    text        NOT NULL,
  project      text        NOT NULL,
  session_id   uuid        REFERENCES sessions (id) ON DELETE SET NULL,
  content      text        NOT NULL,
  content_hash text        NOT NULL,
  tags         text[]      NOT NULL DEFAULT '{}',
  importance   real        NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
  metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  search       tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  CONSTRAINT reflections_content_key UNIQUE (tenant_id, project, content_hash)
);
CREATE INDEX reflections_tenant_created_idx ON reflections (tenant_id, created_at, id);
CREATE INDEX reflections_tenant_project_created_idx ON reflections (tenant_id, project, created_at, id);
CREATE INDEX reflections_session_idx ON reflections (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX reflections_tags_idx ON reflections USING gin (tags);
CREATE INDEX reflections_search_idx ON reflections USING gin (search);

-- Same shape as message_embeddings. HNSW indexes are per model (partial, on embedding::vector(dim)) and are
-- created by the repository's ensureVectorIndex when a model is first searched: the dimension is not known here.
CREATE TABLE reflection_embeddings (
  reflection_id uuid        NOT NULL REFERENCES reflections (id) ON DELETE CASCADE,
  tenant_id     text        NOT NULL,
  model         text        NOT NULL,
  dim           integer     NOT NULL,
  embedding     vector      NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (reflection_id, model)
);
CREATE INDEX reflection_embeddings_model_idx ON reflection_embeddings (model, tenant_id);

-- Stemmed full-text search over messages too (rewrites the table once).
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
CREATE INDEX messages_search_idx ON messages USING gin (search);
