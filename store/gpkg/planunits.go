package gpkg

import (
	"context"
	"database/sql"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// writeUnits inserts units of plan id (migration 080), one row a grid.
func writeUnits(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, units []gridplan.Unit) error {
	if len(units) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO plan_units (plan_id, grid, units) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	grids, by := store.GridUnits(units)
	for _, g := range grids {
		if _, err := st.ExecContext(ctx, int64(id), string(g), store.PackUnits(by[g])); err != nil {
			return err
		}
	}
	return nil
}

// inList is "?, ?, ..." for n values and the values as arguments after
// first.
func inList(first any, codes []bundle.GridCode) (string, []any) {
	args := make([]any, 0, len(codes)+1)
	args = append(args, first)
	for _, c := range codes {
		args = append(args, string(c))
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", "), args
}

// PlanUnits returns plan id's units of grids (all of them when grids is
// empty), by grid then unit.
func (db *DB) PlanUnits(ctx context.Context, id gridplan.PlanID, grids ...bundle.GridCode) ([]gridplan.Unit, error) {
	var out []gridplan.Unit
	err := db.read(ctx, func(tx *sql.Tx) error {
		if _, err := planStatus(ctx, tx, id); err != nil {
			return err
		}
		q, args := `SELECT grid, units FROM plan_units WHERE plan_id = ? ORDER BY grid`, []any{int64(id)}
		if len(grids) > 0 {
			var in string
			in, args = inList(int64(id), grids)
			q = `SELECT grid, units FROM plan_units WHERE plan_id = ? AND grid IN (` + in + `) ORDER BY grid`
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var grid string
			var blob []byte
			if err := rows.Scan(&grid, &blob); err != nil {
				return err
			}
			us, err := store.UnpackUnits(bundle.GridCode(grid), blob)
			if err != nil {
				return err
			}
			out = append(out, us...)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateDraft copies plan from into a new draft whose parent it is:
// grids, locks and units, in one transaction.
func (db *DB) CreateDraft(ctx context.Context, from gridplan.PlanID, name string) (gridplan.PlanID, error) {
	return db.CreateDraftKeyed(ctx, from, name, nil)
}

// CreateDraftKeyed is CreateDraft storing answer(id) under its key for
// plan from in the same transaction (no answer when answer is nil).
func (db *DB) CreateDraftKeyed(ctx context.Context, from gridplan.PlanID, name string, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) (gridplan.PlanID, error) {
	var id gridplan.PlanID
	err := db.write(ctx, "draft", func(tx *sql.Tx) error {
		if _, err := planStatus(ctx, tx, from); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
			SELECT ?, 'draft', id, params, report, ? FROM plans WHERE id = ? RETURNING id`,
			strings.TrimSpace(name), fmtTime(db.now()), int64(from)).Scan(&id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO plan_grids (plan_id, code, community_code, street_code, kind, households, target, geom)
				SELECT ?, code, community_code, street_code, kind, households, target, geom FROM plan_grids WHERE plan_id = ? ORDER BY code`,
			`INSERT INTO plan_grid_locks (plan_id, code) SELECT ?, code FROM plan_grid_locks WHERE plan_id = ?`,
			`INSERT INTO plan_units (plan_id, grid, units) SELECT ?, grid, units FROM plan_units WHERE plan_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, int64(id), int64(from)); err != nil {
				return err
			}
		}
		if err := updateExtents(ctx, tx, "plan_grids"); err != nil || answer == nil {
			return err
		}
		return storeAnswer(ctx, tx, from, id, answer)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// EditGridsUnits is EditGrids that also replaces the units of u.Grids by
// u.Units, in the same transaction.
func (db *DB) EditGridsUnits(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, u gridplan.UnitsEdit) error {
	return db.editPlan(ctx, id, put, removed, base, &u, nil)
}

// replaceUnits deletes the units of u.Grids and inserts u.Units.
func replaceUnits(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, u gridplan.UnitsEdit) error {
	for i := 0; i < len(u.Grids); i += 500 {
		chunk := u.Grids[i:min(i+500, len(u.Grids))]
		in, args := inList(int64(id), chunk)
		if _, err := tx.ExecContext(ctx, `DELETE FROM plan_units WHERE plan_id = ? AND grid IN (`+in+`)`, args...); err != nil {
			return err
		}
	}
	return writeUnits(ctx, tx, id, u.Units)
}
