-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. unit is the H3 index (a 64-bit integer
-- whose top bit is 0). A cell is unique within a grid; a cell crossing a
-- community boundary may be a unit of two communities. No foreign key to
-- grids: an edit deletes and re-inserts the grids it changes.
CREATE TABLE plan_units (
  plan_id bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  unit bigint NOT NULL,
  grid text NOT NULL,
  households integer NOT NULL CHECK (households >= 0),
  PRIMARY KEY (plan_id, unit, grid)
);
CREATE INDEX plan_units_grid ON plan_units (plan_id, grid);
