-- Duty roster (issue 13): shifts of units (patrols, grid workers) and duty
-- posts (the centre, the sub-centres), each on duty over [start_at, end_at).
-- Subjects are not foreign keys: a roster outlives a bundle re-import, and
-- the API checks subjects against the bundle in effect.
CREATE TABLE shifts (
  id text PRIMARY KEY,
  subject text NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz NOT NULL CHECK (end_at > start_at),
  note text NOT NULL DEFAULT ''
);
CREATE INDEX shifts_subject_start ON shifts (subject, start_at);
CREATE INDEX shifts_start ON shifts (start_at);
