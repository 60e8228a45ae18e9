-- Background jobs (POST /plans answers 202 with one): status, progress,
-- times, the result or the error (problem details), so that any replica
-- can answer GET /jobs/{id}.
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  params jsonb NOT NULL,
  done integer NOT NULL,
  total integer NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL,
  result jsonb,
  error jsonb
);
CREATE INDEX jobs_open ON jobs (status, updated_at);
