-- Crackerjack contract (issue 13): one row per run of a quality tool (tests, lint, coverage) on a project.
CREATE TABLE quality_runs (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT    NOT NULL,
  project         TEXT    NOT NULL,
  session_id      TEXT REFERENCES sessions (id) ON DELETE SET NULL,
  commit_sha      TEXT,
  tool            TEXT    NOT NULL,
  passed          INTEGER NOT NULL,
  failed          INTEGER NOT NULL,
  skipped         INTEGER NOT NULL,
  coverage        REAL,
  lint_errors     INTEGER,
  duration_ms     INTEGER NOT NULL,
  details         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  idempotency_key TEXT,
  ran_at          TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  UNIQUE (tenant_id, idempotency_key)
) STRICT;
CREATE INDEX quality_runs_project_idx ON quality_runs (tenant_id, project, ran_at, id);
