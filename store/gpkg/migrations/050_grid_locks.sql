-- Locked grids of plans (issue 14): a locked grid is kept by rebalance and
-- a warm re-plan and refused by the edits that would change it. A row per
-- locked grid, written and deleted with the plan's grids.
CREATE TABLE plan_grid_locks (
  plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  code TEXT NOT NULL,
  PRIMARY KEY (plan_id, code)
);
{{attributes "plan_grid_locks" "locked grids of plans"}}
