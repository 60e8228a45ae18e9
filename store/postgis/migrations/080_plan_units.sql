-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. unit is the H3 index (a 64-bit integer
-- whose top bit is 0). A cell is unique within a grid; a cell crossing a
-- community boundary may be a unit of two communities.
-- The key is also the index on (plan_id, grid) every read uses. No
-- foreign keys: plans are never deleted, an edit deletes and re-inserts
-- the grid rows it changes, and a per-row check made writing the 400 k
-- units of a partitioned Pukou several times slower.
CREATE TABLE plan_units (
  plan_id bigint NOT NULL,
  grid text NOT NULL,
  unit bigint NOT NULL,
  households integer NOT NULL CHECK (households >= 0),
  PRIMARY KEY (plan_id, grid, unit)
);
