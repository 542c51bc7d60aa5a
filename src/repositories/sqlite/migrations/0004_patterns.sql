-- Patterns: best practices, anti-patterns, conventions and recurring errors, stored by hand ('manual') or found
-- across sessions by the detect-patterns job ('detected'). project '' means the whole tenant.
-- `seq` aliases the rowid so it never changes: the FTS index points at it.
CREATE TABLE patterns (
  seq            INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL UNIQUE,
  tenant_id      TEXT    NOT NULL,
  project        TEXT    NOT NULL DEFAULT '',
  name           TEXT    NOT NULL,
  -- lower-cased, whitespace collapsed: names are unique per tenant and project on this.
  name_key       TEXT    NOT NULL,
  description    TEXT    NOT NULL,
  kind           TEXT    NOT NULL CHECK (kind IN ('best-practice', 'anti-pattern', 'convention', 'recurring-error')),
  examples       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(examples)),
  tags           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
  source         TEXT    NOT NULL CHECK (source IN ('manual', 'detected')),
  -- Detected patterns: the identity re-detection updates instead of inserting a second row.
  fingerprint    TEXT,
  evidence       TEXT    CHECK (evidence IS NULL OR json_valid(evidence)),
  -- Cluster centroid as little-endian float32, and the embedding model it belongs to.
  centroid       BLOB,
  centroid_model TEXT,
  metadata       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  created_at     TEXT    NOT NULL,
  updated_at     TEXT    NOT NULL,
  UNIQUE (tenant_id, project, name_key),
  -- NULLs are distinct: manual patterns (no fingerprint) never clash here.
  UNIQUE (tenant_id, project, fingerprint),
  CHECK ((source = 'detected') = (fingerprint IS NOT NULL))
) STRICT;
CREATE INDEX patterns_tenant_created_idx ON patterns (tenant_id, created_at, id);

-- The FTS index keeps its own copy of the (short) text: examples are a JSON array, indexed one per line.
CREATE VIRTUAL TABLE patterns_fts USING fts5(name, description, examples, tokenize='porter unicode61');
CREATE TRIGGER patterns_fts_ai AFTER INSERT ON patterns BEGIN
  INSERT INTO patterns_fts (rowid, name, description, examples)
  VALUES (new.seq, new.name, new.description, (SELECT group_concat(value, char(10)) FROM json_each(new.examples)));
END;
CREATE TRIGGER patterns_fts_ad AFTER DELETE ON patterns BEGIN
  DELETE FROM patterns_fts WHERE rowid = old.seq;
END;
CREATE TRIGGER patterns_fts_au AFTER UPDATE OF name, description, examples ON patterns BEGIN
  UPDATE patterns_fts SET name = new.name, description = new.description,
    examples = (SELECT group_concat(value, char(10)) FROM json_each(new.examples))
  WHERE rowid = new.seq;
END;
