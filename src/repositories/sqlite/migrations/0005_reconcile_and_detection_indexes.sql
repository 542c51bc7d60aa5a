-- The embedding reconciler scans recently written reflections (created or edited) by update time.
CREATE INDEX reflections_updated_idx ON reflections (updated_at);
-- The pattern scheduler lists the tenants that wrote reflections (and messages: messages_created_idx) lately.
CREATE INDEX reflections_created_idx ON reflections (created_at);

-- Pattern detection runs, one per tenant, project ('' for the whole tenant) and time bucket: a detect-patterns job
-- queued again, or redelivered, after its bucket's run finished is skipped. Rows are claimed with
-- INSERT … ON CONFLICT; one left unfinished (the run failed, its worker died) is taken over.
CREATE TABLE pattern_detection_runs (
  tenant_id   TEXT    NOT NULL,
  project     TEXT    NOT NULL,
  -- `w<window seconds>-<window start, epoch seconds>`: a trigger window or a scheduler period.
  bucket      TEXT    NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 1,
  started_at  TEXT    NOT NULL,
  finished_at TEXT,
  -- Patterns the run found (null until it finished).
  patterns    INTEGER,
  PRIMARY KEY (tenant_id, project, bucket)
) STRICT;
