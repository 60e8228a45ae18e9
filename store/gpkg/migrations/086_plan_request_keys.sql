-- The first answer to a keyed planner request (Idempotency-Key on POST
-- /plans/{id}/edits), written in the edit's transaction: a retry gets it
-- back instead of applying the edit twice. It goes with its plan.
CREATE TABLE plan_request_keys (
  plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  route TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  status INTEGER NOT NULL,
  body BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (plan_id, key)
);
{{attributes "plan_request_keys" "first answers of keyed planner requests"}}
