package postgis

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// writeUnits copies units of plan id into plan_units (migration 080), one
// row a grid.
func writeUnits(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, units []gridplan.Unit) error {
	if len(units) == 0 {
		return nil
	}
	grids, by := store.GridUnits(units)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"plan_units"}, []string{"plan_id", "grid", "cells", "households"},
		pgx.CopyFromSlice(len(grids), func(i int) ([]any, error) {
			us := by[grids[i]]
			cells, hh := make([]int64, len(us)), make([]int32, len(us))
			for k, u := range us {
				cells[k], hh[k] = int64(u.ID), int32(u.Households)
			}
			return []any{int64(id), string(grids[i]), cells, hh}, nil
		}))
	return err
}

func codeStrings(codes []bundle.GridCode) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return out
}

// PlanUnits returns plan id's units of grids (all of them when grids is
// empty), by grid then unit.
func (db *DB) PlanUnits(ctx context.Context, id gridplan.PlanID, grids ...bundle.GridCode) ([]gridplan.Unit, error) {
	var out []gridplan.Unit
	err := db.read(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1)`, int64(id)).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return errNoPlan(id)
		}
		q, args := `SELECT grid, cells, households FROM plan_units WHERE plan_id = $1 ORDER BY grid`, []any{int64(id)}
		if len(grids) > 0 {
			q = `SELECT grid, cells, households FROM plan_units WHERE plan_id = $1 AND grid = ANY($2::text[]) ORDER BY grid`
			args = append(args, codeStrings(grids))
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var grid string
			var cells []int64
			var hh []int32
			if err := rows.Scan(&grid, &cells, &hh); err != nil {
				return err
			}
			for k := range cells {
				out = append(out, gridplan.Unit{ID: gridplan.UnitID(cells[k]), Grid: bundle.GridCode(grid), Households: int(hh[k])})
			}
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
	err := db.write(ctx, "draft", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
			SELECT $1, 'draft', id, params, report, $2 FROM plans WHERE id = $3 RETURNING id`,
			strings.TrimSpace(name), db.now(), int64(from)).Scan(&id)
		if isNoRows(err) {
			return errNoPlan(from)
		}
		if err != nil {
			return err
		}
		for _, q := range []string{
			`INSERT INTO grids (plan_id, code, community_code, street_code, kind, households, target, geom)
				SELECT $1, code, community_code, street_code, kind, households, target, geom FROM grids WHERE plan_id = $2`,
			`INSERT INTO grid_locks (plan_id, code) SELECT $1, code FROM grid_locks WHERE plan_id = $2`,
			`INSERT INTO plan_units (plan_id, grid, cells, households) SELECT $1, grid, cells, households FROM plan_units WHERE plan_id = $2`,
		} {
			if _, err := tx.Exec(ctx, q, int64(id), int64(from)); err != nil {
				return err
			}
		}
		if answer == nil {
			return nil
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
func replaceUnits(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, u gridplan.UnitsEdit) error {
	if _, err := tx.Exec(ctx, `DELETE FROM plan_units WHERE plan_id = $1 AND grid = ANY($2::text[])`, int64(id), codeStrings(u.Grids)); err != nil {
		return err
	}
	return writeUnits(ctx, tx, id, u.Units)
}
