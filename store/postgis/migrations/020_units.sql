-- Field units: patrols and grid workers are one kind of thing (a unit
-- that reports positions and is dispatched to cases), so they share one
-- table and one position history. The patrols layer is a view of the
-- patrol units, with its old columns.
CREATE TABLE units (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('patrol', 'worker')),
  name text NOT NULL, -- a patrol's callsign, a worker's name
  street_code text NOT NULL,
  community_code text NOT NULL DEFAULT '', -- workers
  home geometry(Point, 4326),              -- patrols
  position geometry(Point, 4326),          -- null until a worker reports
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'busy', 'off_duty')),
  reported_at timestamptz
);
CREATE INDEX units_position ON units USING gist (position);
CREATE INDEX units_street ON units (street_code, kind);

INSERT INTO units (id, kind, name, street_code, home, position, status, reported_at)
  SELECT id, 'patrol', callsign, street_code, home, position,
         CASE status WHEN 'offline' THEN 'off_duty' ELSE status END, updated_at
  FROM patrols;
INSERT INTO units (id, kind, name, street_code, community_code)
  SELECT w.id, 'worker', w.name, c.street_code, w.community_code
  FROM workers w JOIN communities c ON c.code = w.community_code;

-- The history: every report once (a replay collapses on the key).
CREATE TABLE unit_positions (
  unit_id text NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  position geometry(Point, 4326) NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (unit_id, at)
);
INSERT INTO unit_positions (unit_id, at, position, status)
  SELECT patrol_id, at, position, CASE status WHEN 'offline' THEN 'off_duty' ELSE status END
  FROM patrol_positions;

DROP TABLE patrol_positions;
DROP TABLE patrols;
CREATE VIEW patrols AS
  SELECT id, name AS callsign, street_code, home, position, status, reported_at AS updated_at
  FROM units WHERE kind = 'patrol';
