-- Background jobs (POST /plans answers 202 with one): status, progress,
-- times, the result or the error (problem details), so that any process
-- reading the file can answer GET /jobs/{id}. Times fixed-width UTC text;
-- JSON as text.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  params TEXT NOT NULL,
  done INTEGER NOT NULL,
  total INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  updated_at TEXT NOT NULL,
  result TEXT,
  error TEXT
);
{{attributes "jobs" "background jobs (plan generation)"}}
CREATE INDEX jobs_open ON jobs (status, updated_at);
