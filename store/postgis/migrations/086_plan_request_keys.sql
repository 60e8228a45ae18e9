-- The first answer to a keyed planner request (Idempotency-Key on POST
-- /plans/{id}/edits), written in the edit's transaction: a retry gets it
-- back instead of applying the edit twice. It goes with its plan. The
-- body is kept byte for byte (bytea, not jsonb).
CREATE TABLE plan_request_keys (
  plan_id bigint NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  key text NOT NULL,
  route text NOT NULL,
  request_sha256 text NOT NULL,
  status integer NOT NULL,
  body bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (plan_id, key)
);
