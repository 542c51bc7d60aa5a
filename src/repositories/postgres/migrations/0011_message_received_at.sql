-- When a message arrived (was written), apart from created_at, which an import may set in the past: the analytics
-- sync reads messages from a (received_at, id) watermark and the embedding reconciler windows on received_at, so a
-- message written today with an old created_at is still seen. Rows written before this migration arrived at their
-- created_at (it could not be set then). The repositories write the request's time; the default covers other
-- writers. 0010 may be taken by another change: migrations are applied by name, gaps are fine.
ALTER TABLE messages ADD COLUMN received_at timestamptz;
UPDATE messages SET received_at = created_at;
ALTER TABLE messages ALTER COLUMN received_at SET DEFAULT now(), ALTER COLUMN received_at SET NOT NULL;
CREATE INDEX messages_received_id_idx ON messages (received_at, id);
