-- The analytics sync reads each table in (change time, id) order from a watermark (AnalyticsSourceRepository).
CREATE INDEX sessions_updated_id_idx ON sessions (updated_at, id);
CREATE INDEX messages_created_id_idx ON messages (created_at, id);
CREATE INDEX reflections_updated_id_idx ON reflections (updated_at, id);
CREATE INDEX patterns_updated_id_idx ON patterns (updated_at, id);
CREATE INDEX dead_letters_updated_id_idx ON dead_letters (updated_at, id);
