-- Locked grids of plans (issue 14): a locked grid is kept by rebalance and
-- a warm re-plan and refused by the edits that would change it. A row per
-- locked grid; it goes with its grid.
CREATE TABLE grid_locks (
  plan_id bigint NOT NULL,
  code text NOT NULL,
  PRIMARY KEY (plan_id, code),
  FOREIGN KEY (plan_id, code) REFERENCES grids (plan_id, code) ON DELETE CASCADE
);
