-- Planning units of plans (issue 14): the H3 cells a plan is built from,
-- each with its grid and the households of its buildings. A move acts on
-- units; an edit rewrites the units of the grids it changes in the
-- transaction that writes them. One row a grid: cells (H3 indexes, a
-- 64-bit integer whose top bit is 0) and their households, in cell order
-- (unnest(cells, households) lists them). A row a unit made a partitioned
-- Pukou 290 k rows, and a draft copy of them take seconds.
-- The key is the index on (plan_id, grid) every read uses. No foreign
-- keys: plans are never deleted, and an edit deletes and re-inserts the
-- grid rows it changes.
CREATE TABLE plan_units (
  plan_id bigint NOT NULL,
  grid text NOT NULL,
  cells bigint[] NOT NULL,
  households integer[] NOT NULL,
  PRIMARY KEY (plan_id, grid),
  CHECK (cardinality(cells) = cardinality(households))
);
