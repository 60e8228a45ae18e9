-- Field units: patrols and grid workers are one kind of thing (a unit
-- that reports positions and is dispatched to cases), so they share one
-- feature table and one position history. The patrols layer becomes a
-- view of the patrol units with its old columns, searched through the
-- units' R-tree (patrols keep their fids).
CREATE TABLE units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('patrol', 'worker')),
  name TEXT NOT NULL,
  street_code TEXT NOT NULL,
  community_code TEXT NOT NULL DEFAULT '',
  home_lon DOUBLE,
  home_lat DOUBLE,
  status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'busy', 'off_duty')),
  reported_at TEXT,
  geom POINT
);
{{feature "units" "POINT" "field units (patrols and grid workers) at their last reported position"}}
CREATE INDEX units_street ON units (street_code, kind);
INSERT INTO units (fid, id, kind, name, street_code, home_lon, home_lat, status, reported_at, geom)
  SELECT fid, id, 'patrol', callsign, street_code, home_lon, home_lat,
         CASE status WHEN 'offline' THEN 'off_duty' ELSE status END, updated_at, geom
  FROM patrols;
INSERT INTO units (id, kind, name, street_code, community_code)
  SELECT w.id, 'worker', w.name, c.street_code, w.community_code
  FROM workers w JOIN communities c ON c.code = w.community_code;

CREATE TABLE unit_positions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  unit_id TEXT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  lon DOUBLE NOT NULL,
  lat DOUBLE NOT NULL,
  status TEXT NOT NULL,
  UNIQUE (unit_id, at)
);
{{attributes "unit_positions" "unit position history"}}
INSERT INTO unit_positions (unit_id, at, lon, lat, status)
  SELECT patrol_id, at, lon, lat, CASE status WHEN 'offline' THEN 'off_duty' ELSE status END
  FROM patrol_positions;

DELETE FROM gpkg_contents WHERE table_name = 'patrol_positions';
DROP TABLE patrol_positions;
DELETE FROM gpkg_extensions WHERE table_name = 'patrols';
DELETE FROM gpkg_geometry_columns WHERE table_name = 'patrols';
DELETE FROM gpkg_contents WHERE table_name = 'patrols';
DROP TABLE rtree_patrols_geom;
DROP TABLE patrols;
CREATE VIEW patrols AS
  SELECT fid, id, name AS callsign, street_code, home_lon, home_lat, status, reported_at AS updated_at, geom
  FROM units WHERE kind = 'patrol';
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('patrols', 'features', 'patrols', 'joint patrol units at their last reported position', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('patrols', 'geom', 'POINT', 4326, 0, 0);
