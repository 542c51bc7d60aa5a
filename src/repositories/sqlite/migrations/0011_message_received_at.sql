-- When a message arrived (was written), apart from created_at, which an import may set in the past: the analytics
-- sync reads messages from a (received_at, id) watermark and the embedding reconciler windows on received_at, so a
-- message written today with an old created_at is still seen. Rows written before this migration arrived at their
-- created_at (it could not be set then). The repositories write the request's time; ADD COLUMN cannot default to
-- an expression, so a message inserted without one ('') gets the insert time from the trigger. 0010 may be taken
-- by another change: migrations are applied by name, gaps are fine.
ALTER TABLE messages ADD COLUMN received_at TEXT NOT NULL DEFAULT '';
UPDATE messages SET received_at = created_at;
CREATE TRIGGER messages_received_at_default AFTER INSERT ON messages WHEN NEW.received_at = ''
BEGIN
  UPDATE messages SET received_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
CREATE INDEX messages_received_id_idx ON messages (received_at, id);
