-- The event log behind GET /events (issue 13): what changed, appended
-- after the change committed, read by every replica in id order. Appends
-- take an advisory lock so ids become visible in increasing order (a
-- reader never finds a lower id after a higher one). lon/lat are NULL for
-- events without a place; stored_at is the log's own time (trimming);
-- key, when given, is unique (idempotent retries).
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  at timestamptz NOT NULL,
  lon double precision,
  lat double precision,
  data jsonb NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  key text UNIQUE, -- the publisher's idempotency key: a retried append stores nothing twice
  CHECK ((lon IS NULL) = (lat IS NULL))
);
CREATE INDEX events_stored_at ON events (stored_at);
