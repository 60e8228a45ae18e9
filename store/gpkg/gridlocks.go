package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
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

// EditGrids replaces the grids of put (by code), adds the new ones and
// deletes removed, in one transaction; other grids are not touched.
func (db *DB) EditGrids(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid) error {
	return db.editPlan(ctx, id, put, removed, base, nil, nil)
}

// editPlan is EditGrids, EditGridsUnits (units not nil) and
// EditGridsKeyed (a not nil): the grids, the units of the grids they name
// and the keyed answer written in one transaction.
func (db *DB) editPlan(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a *store.KeyedAnswer) error {
	if err := store.CheckPlanEdit(units, a); err != nil {
		return err
	}
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "edit", Status: gridplan.Draft, Grids: put}, encodeGeom)
	if err != nil {
		return err
	}
	return db.write(ctx, "edit grids", func(tx *sql.Tx) error {
		if err := editGrids(ctx, tx, id, put, removed, base, e); err != nil {
			return err
		}
		if units != nil {
			if err := replaceUnits(ctx, tx, id, *units); err != nil {
				return err
			}
		}
		if a != nil {
			return insertKeyedAnswer(ctx, tx, id, *a)
		}
		return nil
	})
}

// editGrids is EditGrids in tx.
func editGrids(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, e store.EncodedPlan) error {
	{
		st, err := planStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != gridplan.Draft {
			return store.ErrNotDraft(id, st)
		}
		have := map[bundle.GridCode]store.StoredGrid{}
		look := func(c bundle.GridCode) error {
			var hh int
			var blob []byte
			err := tx.QueryRowContext(ctx, `SELECT households, geom FROM plan_grids WHERE plan_id = ? AND code = ?`, int64(id), string(c)).Scan(&hh, &blob)
			if err == sql.ErrNoRows {
				return nil
			}
			if err != nil {
				return err
			}
			mp, err := decodeMulti(blob)
			if err != nil {
				return err
			}
			have[c] = store.StoredGrid{Households: hh, Geom: mp}
			return nil
		}
		for _, g := range put {
			if err := look(g.Code); err != nil {
				return err
			}
		}
		for _, c := range removed {
			if err := look(c); err != nil {
				return err
			}
		}
		if err := store.CheckEditBase(id, put, base, have); err != nil {
			return err
		}
		del := func(c bundle.GridCode) (int64, error) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM plan_grid_locks WHERE plan_id = ? AND code = ?`, int64(id), string(c)); err != nil {
				return 0, err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM plan_grids WHERE plan_id = ? AND code = ?`, int64(id), string(c))
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}
		for _, c := range removed {
			n, err := del(c)
			if err != nil {
				return err
			}
			if n != 1 {
				return errs.E(errs.NotFound, "removed", "plan %d has no grid %s", id, c)
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO plan_grids (plan_id, code, community_code, street_code, kind, households, target, geom)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, g := range put {
			if _, err := del(g.Code); err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind), g.Households, g.Target, e.Blobs[i]); err != nil {
				return err
			}
			if g.Locked {
				if _, err := tx.ExecContext(ctx, `INSERT INTO plan_grid_locks (plan_id, code) VALUES (?, ?)`, int64(id), string(g.Code)); err != nil {
					return err
				}
			}
		}
		if len(put) == 0 {
			return nil
		}
		bound := put[0].Geom.Bound()
		for _, g := range put[1:] {
			bound = bound.Union(g.Geom.Bound())
		}
		return growExtent(ctx, tx, "plan_grids", bound)
	}
}
