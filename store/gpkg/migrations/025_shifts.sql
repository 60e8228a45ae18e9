-- Duty roster (issue 13): shifts of units (patrols, grid workers) and duty
-- posts (the centre, the sub-centres), each on duty over [start_at, end_at).
-- Times are fixed-width UTC text, so they compare as text. A GeoPackage
-- attribute table's primary key is an INTEGER (fid); the shift id is a
-- unique text column.
CREATE TABLE shifts (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  start_at TEXT NOT NULL,
  end_at TEXT NOT NULL CHECK (end_at > start_at),
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shifts_subject_start ON shifts (subject, start_at);
CREATE INDEX shifts_start ON shifts (start_at);
{{attributes "shifts" "Duty roster: shifts of units and duty posts"}}
