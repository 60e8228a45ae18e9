package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
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
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "edit", Status: gridplan.Draft, Grids: put}, geomBytes)
	if err != nil {
		return err
	}
	return db.write(ctx, "edit grids", func(tx pgx.Tx) error {
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
func editGrids(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, e store.EncodedPlan) error {
	{
		st, err := lockPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != gridplan.Draft {
			return store.ErrNotDraft(id, st)
		}
		touched := make([]string, 0, len(put)+len(removed))
		for _, g := range put {
			touched = append(touched, string(g.Code))
		}
		for _, c := range removed {
			touched = append(touched, string(c))
		}
		rows, err := tx.Query(ctx, `SELECT code, households, ST_AsBinary(geom) FROM grids WHERE plan_id = $1 AND code = ANY($2::text[])`, int64(id), touched)
		if err != nil {
			return err
		}
		have := map[bundle.GridCode]store.StoredGrid{}
		for rows.Next() {
			var c string
			var hh int32
			var blob []byte
			if err := rows.Scan(&c, &hh, &blob); err != nil {
				rows.Close()
				return err
			}
			mp, err := decodeMulti(blob)
			if err != nil {
				rows.Close()
				return err
			}
			have[bundle.GridCode(c)] = store.StoredGrid{Households: int(hh), Geom: mp}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := store.CheckEditBase(id, put, base, have); err != nil {
			return err
		}
		if len(removed) > 0 {
			codes := make([]string, len(removed))
			for i, c := range removed {
				codes[i] = string(c)
			}
			tag, err := tx.Exec(ctx, `DELETE FROM grids WHERE plan_id = $1 AND code = ANY($2::text[])`, int64(id), codes)
			if err != nil {
				return err
			}
			if int(tag.RowsAffected()) != len(codes) {
				return errs.E(errs.NotFound, "removed", "plan %d does not have every grid of %v", id, removed)
			}
		}
		codes := make([]string, len(put))
		for i, g := range put {
			codes[i] = string(g.Code)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM grids WHERE plan_id = $1 AND code = ANY($2::text[])`, int64(id), codes); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"grids"},
			[]string{"plan_id", "code", "community_code", "street_code", "kind", "households", "target", "geom"},
			pgx.CopyFromSlice(len(put), func(i int) ([]any, error) {
				g := put[i]
				return []any{int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind),
					int32(g.Households), int32(g.Target), e.Blobs[i]}, nil
			}))
		if err != nil {
			return err
		}
		return writeLocks(ctx, tx, id, put)
	}
}
