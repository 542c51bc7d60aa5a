-- Patterns: best practices, anti-patterns, conventions and recurring errors, stored by hand ('manual') or found
-- across sessions by the detect-patterns job ('detected'). project '' means the whole tenant.
CREATE TABLE patterns (
  id             uuid PRIMARY KEY,
  tenant_id      text        NOT NULL,
  project        text        NOT NULL DEFAULT '',
  name           text        NOT NULL,
  -- lower-cased, whitespace collapsed: names are unique per tenant and project on this.
  name_key       text        NOT NULL,
  description    text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('best-practice', 'anti-pattern', 'convention', 'recurring-error')),
  examples       jsonb       NOT NULL DEFAULT '[]'::jsonb,
  tags           text[]      NOT NULL DEFAULT '{}',
  source         text        NOT NULL CHECK (source IN ('manual', 'detected')),
  -- Detected patterns: the identity re-detection updates instead of inserting a second row.
  fingerprint    text,
  evidence       jsonb,
  -- Cluster centroid (unit length) and the embedding model it belongs to.
  centroid       real[],
  centroid_model text,
  metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  search         tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', name), 'A') ||
    setweight(to_tsvector('english', description), 'B') ||
    setweight(to_tsvector('english', examples), 'C')
  ) STORED,
  CONSTRAINT patterns_name_key UNIQUE (tenant_id, project, name_key),
  -- NULLs are distinct: manual patterns (no fingerprint) never clash here.
  CONSTRAINT patterns_fingerprint_key UNIQUE (tenant_id, project, fingerprint),
  CONSTRAINT patterns_detected_fingerprint CHECK ((source = 'detected') = (fingerprint IS NOT NULL))
);
CREATE INDEX patterns_tenant_created_idx ON patterns (tenant_id, created_at, id);
CREATE INDEX patterns_tags_idx ON patterns USING gin (tags);
CREATE INDEX patterns_search_idx ON patterns USING gin (search);
