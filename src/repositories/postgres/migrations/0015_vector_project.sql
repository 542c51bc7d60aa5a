-- Every vector carries its item's project, so a search filtered to a project compares that project's vectors
-- straight from the vectors table (an index on (tenant_id, project, model), no join): on 100,000 reflections, a
-- project of 4,600–10,600 items took 7–13 ms against 24–49 ms for the same vectors found by item id through the
-- items table (docs/benchmarks.md). Triggers keep the column true on every write path (inserts from the embedding
-- worker, imports and COPY alike); a project never changes today, but if it ever does the vectors follow.
ALTER TABLE reflection_embeddings ADD COLUMN project text;
ALTER TABLE message_embeddings ADD COLUMN project text;

-- Backfill. Updating a row also inserts it into the table's HNSW indexes again (minutes at 100,000 vectors), so the
-- HNSW indexes are dropped first: SearchService rebuilds each with ensureVectorIndex on the model's first search.
DO $$
DECLARE index_name text;
BEGIN
  FOR index_name IN
    SELECT i.indexname FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename IN ('reflection_embeddings', 'message_embeddings')
      AND i.indexdef LIKE '% USING hnsw %'
  LOOP
    EXECUTE format('DROP INDEX %I', index_name);
  END LOOP;
END $$;

UPDATE reflection_embeddings e SET project = r.project FROM reflections r WHERE r.id = e.reflection_id;
UPDATE message_embeddings e SET project = s.project
FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id = e.message_id;

CREATE INDEX reflection_embeddings_project_idx ON reflection_embeddings (tenant_id, project, model);
CREATE INDEX message_embeddings_project_idx ON message_embeddings (tenant_id, project, model);

CREATE FUNCTION reflection_embedding_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.project INTO NEW.project FROM reflections r WHERE r.id = NEW.reflection_id;
  RETURN NEW;
END $$;
CREATE TRIGGER reflection_embeddings_project BEFORE INSERT OR UPDATE OF reflection_id, project
ON reflection_embeddings FOR EACH ROW EXECUTE FUNCTION reflection_embedding_project();

CREATE FUNCTION message_embedding_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT s.project INTO NEW.project FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.id = NEW.message_id;
  RETURN NEW;
END $$;
CREATE TRIGGER message_embeddings_project BEFORE INSERT OR UPDATE OF message_id, project
ON message_embeddings FOR EACH ROW EXECUTE FUNCTION message_embedding_project();

CREATE FUNCTION reflection_project_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reflection_embeddings SET project = NEW.project WHERE reflection_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER reflections_project_changed AFTER UPDATE OF project ON reflections
FOR EACH ROW WHEN (OLD.project IS DISTINCT FROM NEW.project) EXECUTE FUNCTION reflection_project_changed();

CREATE FUNCTION session_project_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE message_embeddings e SET project = NEW.project FROM messages m
  WHERE m.session_id = NEW.id AND e.message_id = m.id;
  RETURN NULL;
END $$;
CREATE TRIGGER sessions_project_changed AFTER UPDATE OF project ON sessions
FOR EACH ROW WHEN (OLD.project IS DISTINCT FROM NEW.project) EXECUTE FUNCTION session_project_changed();

CREATE FUNCTION message_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE message_embeddings SET project = (SELECT s.project FROM sessions s WHERE s.id = NEW.session_id)
  WHERE message_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_session_changed AFTER UPDATE OF session_id ON messages
FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id) EXECUTE FUNCTION message_session_changed();
