-- Issue 15 defect 9: a dead letter keeps its attempt history (time, error class/code, message; bounded) so that the
-- first cause of a failure is not lost behind the last attempt's error.
ALTER TABLE dead_letters ADD COLUMN attempt_history jsonb NOT NULL DEFAULT '[]';
