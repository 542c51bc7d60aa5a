-- Crackerjack contract (issue 13): one row per run of a quality tool (tests, lint, coverage) on a project.
CREATE TABLE quality_runs (
  id              uuid PRIMARY KEY,
  tenant_id       text        NOT NULL,
  project         text        NOT NULL,
  session_id      uuid REFERENCES sessions (id) ON DELETE SET NULL,
  commit_sha      text,
  tool            text        NOT NULL,
  passed          integer     NOT NULL,
  failed          integer     NOT NULL,
  skipped         integer     NOT NULL,
  coverage        double precision,
  lint_errors     integer,
  duration_ms     integer     NOT NULL,
  details         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key text,
  ran_at          timestamptz NOT NULL,
  created_at      timestamptz NOT NULL,
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX quality_runs_project_idx ON quality_runs (tenant_id, project, ran_at, id);
