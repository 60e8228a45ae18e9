-- The event log behind GET /events (issue 13): what changed, appended
-- after the change committed, read in id order. Ids are never reused
-- (AUTOINCREMENT), writes are serialised on the one writer connection, so
-- ids become visible in increasing order. lon/lat are NULL for events
-- without a place; times fixed-width UTC text.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  lon REAL,
  lat REAL,
  data TEXT NOT NULL,
  stored_at TEXT NOT NULL,
  key TEXT UNIQUE, -- the publisher's idempotency key: a retried append stores nothing twice
  CHECK ((lon IS NULL) = (lat IS NULL))
);
{{attributes "events" "the event log of the event stream"}}
CREATE INDEX events_stored_at ON events (stored_at);
