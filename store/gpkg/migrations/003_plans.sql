-- Grid plans. plan_grids holds every plan's grids; grids is a copy of the
-- published plan's, so that GIS tools open "the grids" directly.

CREATE TABLE plans (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  parent INTEGER REFERENCES plans(id),
  params TEXT NOT NULL,
  report TEXT,
  created_at TEXT NOT NULL,
  published_at TEXT
);
-- Exactly one published plan, enforced by the database.
CREATE UNIQUE INDEX plans_one_published ON plans(status) WHERE status = 'published';
{{attributes "plans" "grid plans"}}

CREATE TABLE plan_grids (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  code TEXT NOT NULL,
  community_code TEXT NOT NULL,
  street_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  households INTEGER NOT NULL,
  target INTEGER NOT NULL,
  geom MULTIPOLYGON NOT NULL,
  UNIQUE (plan_id, code)
);
{{feature "plan_grids" "MULTIPOLYGON" "the grids of every plan"}}

CREATE TABLE grids (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id INTEGER NOT NULL,
  code TEXT NOT NULL UNIQUE,
  community_code TEXT NOT NULL,
  street_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  households INTEGER NOT NULL,
  target INTEGER NOT NULL,
  geom MULTIPOLYGON NOT NULL
);
{{feature "grids" "MULTIPOLYGON" "the grids of the published plan"}}

-- Room for the dispatch issue: incidents and append-only case_events come
-- in a later, additive migration (004_...).
