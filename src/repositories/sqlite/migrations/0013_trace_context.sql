-- The W3C traceparent of the write that queued a job (null when tracing is off): the relay and the worker continue
-- that trace, so one trace runs from the request through the outbox and the queue to the job.
ALTER TABLE job_outbox ADD COLUMN trace_context TEXT;
