-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. unit is the H3 index (a 64-bit integer
-- whose top bit is 0). A cell is unique within a grid; a cell crossing a
-- community boundary may be a unit of two communities.
-- The key is also the index on (plan_id, grid) every read uses. No
-- foreign keys: plans are never deleted, and an edit deletes and
-- re-inserts the grid rows it changes.
CREATE TABLE plan_units (
  plan_id INTEGER NOT NULL,
  grid TEXT NOT NULL,
  unit INTEGER NOT NULL,
  households INTEGER NOT NULL CHECK (households >= 0),
  PRIMARY KEY (plan_id, grid, unit)
);
{{attributes "plan_units" "planning units (H3 cells) of plans, with their grid"}}
