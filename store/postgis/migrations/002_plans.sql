-- Grid plans and their grids. Plans survive bundle imports.
CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  parent bigint REFERENCES plans (id),
  params jsonb NOT NULL,
  report jsonb,
  created_at timestamptz NOT NULL,
  published_at timestamptz
);
-- Exactly one published plan, enforced by the database.
CREATE UNIQUE INDEX plans_one_published ON plans ((true)) WHERE status = 'published';

CREATE TABLE grids (
  plan_id bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  code text NOT NULL,
  community_code text NOT NULL,
  street_code text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('urban', 'rural', 'virtual')),
  households integer NOT NULL,
  target integer NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL,
  PRIMARY KEY (plan_id, code)
);
CREATE INDEX grids_geom ON grids USING gist (geom);

-- Room for the dispatch issue: incidents and the append-only case_events
-- come in a later, additive migration (003_...).
