-- District reference data, replaced as a whole by each bundle import.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE district (
  code text PRIMARY KEY,
  name text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL
);

CREATE TABLE streets (
  code text PRIMARY KEY,
  name text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX streets_geom ON streets USING gist (geom);

CREATE TABLE communities (
  code text PRIMARY KEY,
  name text NOT NULL,
  street_code text NOT NULL REFERENCES streets (code),
  kind text NOT NULL CHECK (kind IN ('urban', 'rural', 'virtual')),
  geom geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX communities_geom ON communities USING gist (geom);
CREATE INDEX communities_street ON communities (street_code);

-- buildings carry the standard address (road + number).
CREATE TABLE buildings (
  id bigint PRIMARY KEY,
  households integer NOT NULL,
  address text NOT NULL,
  geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX buildings_geom ON buildings USING gist (geom);

-- street_code / community_code are '' where they do not apply (the centre
-- has no street), so that filters compare text as in the GeoPackage store.
CREATE TABLE facilities (
  code text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('centre', 'subcentre', 'workstation')),
  name text NOT NULL,
  street_code text NOT NULL,
  community_code text NOT NULL,
  geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX facilities_geom ON facilities USING gist (geom);

CREATE TABLE departments (
  code text PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE workers (
  id text PRIMARY KEY,
  name text NOT NULL,
  community_code text NOT NULL REFERENCES communities (code)
);

-- patrols: home is where the bundle puts the unit; position, status and
-- updated_at follow its reports.
CREATE TABLE patrols (
  id text PRIMARY KEY,
  callsign text NOT NULL,
  street_code text NOT NULL,
  home geometry(Point, 4326) NOT NULL,
  position geometry(Point, 4326) NOT NULL,
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'busy', 'offline')),
  updated_at timestamptz
);
CREATE INDEX patrols_position ON patrols USING gist (position);

-- The position history: every report once (replays collapse on the key).
CREATE TABLE patrol_positions (
  patrol_id text NOT NULL REFERENCES patrols (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  position geometry(Point, 4326) NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (patrol_id, at)
);
