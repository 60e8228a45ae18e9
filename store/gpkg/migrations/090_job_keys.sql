-- A job's idempotency key (the Idempotency-Key of POST /plans): at most one
-- job has a given key, so a retried request finds the job its first try
-- made instead of starting another.
ALTER TABLE jobs ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX jobs_request_key ON jobs (request_key) WHERE request_key IS NOT NULL;
