-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. One row a grid: units is a blob of
-- 12-byte records, the H3 index (uint64) and the households (uint32),
-- little-endian, in cell order (store.PackUnits). A row a unit made a
-- partitioned Pukou 290 k rows, and a draft copy of them take seconds.
-- The key is the index on (plan_id, grid) every read uses. No foreign
-- keys: plans are never deleted, and an edit deletes and re-inserts the
-- grid rows it changes.
CREATE TABLE plan_units (
  plan_id INTEGER NOT NULL,
  grid TEXT NOT NULL,
  units BLOB NOT NULL,
  PRIMARY KEY (plan_id, grid)
);
{{attributes "plan_units" "planning units (H3 cells) of plans, one row a grid"}}
