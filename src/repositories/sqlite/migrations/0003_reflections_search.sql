-- `seq` aliases the rowid so it never changes (VACUUM renumbers implicit rowids): the FTS index points at it.
CREATE TABLE reflections (
  seq          INTEGER PRIMARY KEY,
  id           TEXT    NOT NULL UNIQUE,
  tenant_id    TEXT    NOT NULL,
  project      TEXT    NOT NULL,
  session_id   TEXT    REFERENCES sessions (id) ON DELETE SET NULL,
  content      TEXT    NOT NULL,
  content_hash TEXT    NOT NULL,
  tags         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
  importance   REAL    NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
  metadata     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at   TEXT    NOT NULL,
  updated_at   TEXT    NOT NULL,
  UNIQUE (tenant_id, project, content_hash)
) STRICT;
CREATE INDEX reflections_tenant_created_idx ON reflections (tenant_id, created_at, id);
CREATE INDEX reflections_tenant_project_created_idx ON reflections (tenant_id, project, created_at, id);
CREATE INDEX reflections_session_idx ON reflections (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE reflection_embeddings (
  reflection_id TEXT    NOT NULL REFERENCES reflections (id) ON DELETE CASCADE,
  tenant_id     TEXT    NOT NULL,
  model         TEXT    NOT NULL,
  dim           INTEGER NOT NULL,
  embedding     BLOB    NOT NULL,
  created_at    TEXT    NOT NULL,
  PRIMARY KEY (reflection_id, model)
) STRICT;
CREATE INDEX reflection_embeddings_model_idx ON reflection_embeddings (model, tenant_id);

-- External-content FTS5 indexes (the text lives once, in the table), kept in sync by triggers.
CREATE VIRTUAL TABLE reflections_fts USING fts5(
  content, content='reflections', content_rowid='seq', tokenize='porter unicode61'
);
CREATE TRIGGER reflections_fts_ai AFTER INSERT ON reflections BEGIN
  INSERT INTO reflections_fts (rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER reflections_fts_ad AFTER DELETE ON reflections BEGIN
  INSERT INTO reflections_fts (reflections_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER reflections_fts_au AFTER UPDATE OF content ON reflections BEGIN
  INSERT INTO reflections_fts (reflections_fts, rowid, content) VALUES ('delete', old.seq, old.content);
  INSERT INTO reflections_fts (rowid, content) VALUES (new.seq, new.content);
END;

-- messages has no INTEGER PRIMARY KEY, so its index follows the implicit rowid. A VACUUM may renumber
-- those: after one, run INSERT INTO messages_fts (messages_fts) VALUES ('rebuild').
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, content='messages', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
-- Backfill the messages stored before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
