-- District reference data. Feature tables carry an integer fid (GeoPackage
-- requires one) and their domain id as a unique column. Timestamps are UTC
-- text with a fixed width (microseconds) so that they sort as text.

CREATE TABLE district (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  geom MULTIPOLYGON NOT NULL
);
{{feature "district" "MULTIPOLYGON" "the district boundary"}}

CREATE TABLE streets (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  geom MULTIPOLYGON NOT NULL
);
{{feature "streets" "MULTIPOLYGON" "streets and special zones"}}

CREATE TABLE communities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  street_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  geom MULTIPOLYGON NOT NULL
);
CREATE INDEX communities_street ON communities(street_code);
{{feature "communities" "MULTIPOLYGON" "communities and villages"}}

CREATE TABLE buildings (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL UNIQUE,
  households INTEGER NOT NULL,
  address TEXT NOT NULL,
  geom POINT NOT NULL
);
{{feature "buildings" "POINT" "buildings with households and standard address"}}

CREATE TABLE facilities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  street_code TEXT NOT NULL,
  community_code TEXT NOT NULL,
  geom POINT NOT NULL
);
{{feature "facilities" "POINT" "command centre, sub-centres and work stations"}}

-- patrols: the unit's current position is the geometry; its home position
-- (from the bundle) is kept as numbers because a GeoPackage feature table has
-- one geometry column.
CREATE TABLE patrols (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  callsign TEXT NOT NULL,
  street_code TEXT NOT NULL,
  home_lon DOUBLE NOT NULL,
  home_lat DOUBLE NOT NULL,
  status TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'busy', 'offline')),
  updated_at TEXT,
  geom POINT NOT NULL
);
{{feature "patrols" "POINT" "joint patrol units at their last reported position"}}

-- Attribute tables too need an INTEGER primary key (GeoPackage req. 119);
-- their natural keys are UNIQUE.
CREATE TABLE patrol_positions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  patrol_id TEXT NOT NULL REFERENCES patrols(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  lon DOUBLE NOT NULL,
  lat DOUBLE NOT NULL,
  status TEXT NOT NULL,
  UNIQUE (patrol_id, at)
);
{{attributes "patrol_positions" "patrol position history"}}

CREATE TABLE departments (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);
{{attributes "departments" "participating departments"}}

CREATE TABLE workers (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  community_code TEXT NOT NULL
);
{{attributes "workers" "grid workers"}}
