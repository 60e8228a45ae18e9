package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// writeLocks records plan id's locked grids (migration 050); the grids
// are in the table already, and their old locks went with them.
func writeLocks(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, grids []gridplan.Grid) error {
	var codes []string
	for _, g := range grids {
		if g.Locked {
			codes = append(codes, string(g.Code))
		}
	}
	if len(codes) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO grid_locks (plan_id, code) SELECT $1, unnest($2::text[])`, int64(id), codes)
	return err
}

// readLocks sets Locked on plan id's locked grids.
func readLocks(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, grids []gridplan.Grid) error {
	rows, err := tx.Query(ctx, `SELECT code FROM grid_locks WHERE plan_id = $1`, int64(id))
	if err != nil {
		return err
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	locked := map[bundle.GridCode]bool{}
	for _, c := range codes {
		locked[bundle.GridCode(c)] = true
	}
	for i := range grids {
		grids[i].Locked = locked[grids[i].Code]
	}
	return nil
}
