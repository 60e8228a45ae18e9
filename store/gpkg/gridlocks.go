package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// writeLocks replaces plan id's locked grids (migration 050) by those of
// grids.
func writeLocks(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, grids []gridplan.Grid) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM plan_grid_locks WHERE plan_id = ?`, int64(id)); err != nil {
		return err
	}
	for _, g := range grids {
		if !g.Locked {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO plan_grid_locks (plan_id, code) VALUES (?, ?)`, int64(id), string(g.Code)); err != nil {
			return err
		}
	}
	return nil
}

// readLocks sets Locked on plan id's locked grids.
func readLocks(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, grids []gridplan.Grid) error {
	rows, err := tx.QueryContext(ctx, `SELECT code FROM plan_grid_locks WHERE plan_id = ?`, int64(id))
	if err != nil {
		return err
	}
	defer rows.Close()
	locked := map[bundle.GridCode]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		locked[bundle.GridCode(c)] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range grids {
		grids[i].Locked = locked[grids[i].Code]
	}
	return nil
}
