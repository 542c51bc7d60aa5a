-- The embedding reconciler scans recently written reflections (created or edited) by update time.
CREATE INDEX reflections_updated_idx ON reflections (updated_at);
