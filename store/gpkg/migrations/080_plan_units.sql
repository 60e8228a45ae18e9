-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. unit is the H3 index (a 64-bit integer
-- whose top bit is 0). A cell is unique within a grid; a cell crossing a
-- community boundary may be a unit of two communities.
CREATE TABLE plan_units (
  plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  unit INTEGER NOT NULL,
  grid TEXT NOT NULL,
  households INTEGER NOT NULL CHECK (households >= 0),
  PRIMARY KEY (plan_id, unit, grid)
);
CREATE INDEX plan_units_grid ON plan_units (plan_id, grid);
{{attributes "plan_units" "planning units (H3 cells) of plans, with their grid"}}
