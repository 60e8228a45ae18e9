package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// chunk is how many codes one statement names at most (SQLite limits a
// statement's parameters; PostgreSQL's arrays are chunked alike, so that
// both run one code path).
const chunk = 500

// inChunks calls fn on codes, chunk by chunk.
func inChunks(codes []bundle.GridCode, fn func([]bundle.GridCode) error) error {
	for i := 0; i < len(codes); i += chunk {
		if err := fn(codes[i:min(i+chunk, len(codes))]); err != nil {
			return err
		}
	}
	return nil
}

// insertLocks records plan id's locked grids of grids (migration 050).
func insertLocks(ctx context.Context, tx PlansTx, id gridplan.PlanID, grids []gridplan.Grid) error {
	var codes []bundle.GridCode
	for _, g := range grids {
		if g.Locked {
			codes = append(codes, g.Code)
		}
	}
	_, locks := tx.Tables()
	return inChunks(codes, func(codes []bundle.GridCode) error {
		values := make([]string, len(codes))
		args := make([]any, 0, len(codes)+1)
		args = append(args, int64(id))
		for i, c := range codes {
			values[i] = "($1, $" + strconv.Itoa(i+2) + ")"
			args = append(args, string(c))
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+locks+` (plan_id, code) VALUES `+strings.Join(values, ", "), args...)
		return err
	})
}

// readLocks sets Locked on plan id's locked grids.
func readLocks(ctx context.Context, tx PlansTx, id gridplan.PlanID, grids []gridplan.Grid) error {
	_, locks := tx.Tables()
	locked := map[bundle.GridCode]bool{}
	err := sqlq.Each(ctx, tx, func(r sqlq.Row) error {
		var c bundle.GridCode
		err := r.Scan(&c)
		locked[c] = true
		return err
	}, `SELECT code FROM `+locks+` WHERE plan_id = $1`, int64(id))
	if err != nil {
		return err
	}
	for i := range grids {
		grids[i].Locked = locked[grids[i].Code]
	}
	return nil
}

// EditGrids replaces the grids of put (by code), adds the new ones and
// deletes removed, in one transaction; other grids are not touched.
func (s *PlanStore) EditGrids(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid) error {
	return s.EditPlan(ctx, id, put, removed, base, nil, nil)
}

// EditPlan is EditGrids, EditGridsUnits (units not nil) and
// EditGridsKeyed (a not nil): the grids, the units of the grids they name
// and the keyed answer written in one transaction.
func (s *PlanStore) EditPlan(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a *store.KeyedAnswer) error {
	if err := store.CheckPlanEdit(units, a); err != nil {
		return err
	}
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "edit", Status: gridplan.Draft, Grids: put}, s.b.EncodeGeom)
	if err != nil {
		return err
	}
	return s.b.WritePlans(ctx, "edit grids", func(tx PlansTx) error {
		if err := editGrids(ctx, tx, id, put, removed, base, e); err != nil {
			return err
		}
		if units != nil {
			if err := replaceUnits(ctx, tx, id, *units); err != nil {
				return err
			}
		}
		if a != nil {
			return InsertKeyedAnswer(ctx, tx, tx, id, *a)
		}
		return nil
	})
}

// editGrids is EditGrids in tx.
func editGrids(ctx context.Context, tx PlansTx, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, e store.EncodedPlan) error {
	if err := lockDraft(ctx, tx, id); err != nil {
		return err
	}
	grids, _ := tx.Tables()
	putCodes := make([]bundle.GridCode, len(put))
	for i, g := range put {
		putCodes[i] = g.Code
	}
	have := map[bundle.GridCode]store.StoredGrid{}
	decode := Multi(tx.Decode)
	err := inChunks(append(putCodes[:len(putCodes):len(putCodes)], removed...), func(codes []bundle.GridCode) error {
		in, args := tx.InCodes("code", 2, codes)
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			var c bundle.GridCode
			var st store.StoredGrid
			var blob []byte
			if err := r.Scan(&c, &st.Households, &blob); err != nil {
				return err
			}
			var err error
			st.Geom, err = decode(blob)
			have[c] = st
			return err
		}, `SELECT code, households, `+tx.Geom("geom")+` FROM `+grids+` WHERE plan_id = $1 AND `+in, append([]any{int64(id)}, args...)...)
	})
	if err != nil {
		return err
	}
	if err := store.CheckEditBase(id, put, base, have); err != nil {
		return err
	}
	n, err := deleteGrids(ctx, tx, id, removed)
	if err != nil {
		return err
	}
	if n != len(removed) {
		return errs.E(errs.NotFound, "removed", "plan %d does not have every grid of %v", id, removed)
	}
	if _, err := deleteGrids(ctx, tx, id, putCodes); err != nil {
		return err
	}
	if len(put) == 0 {
		return nil
	}
	if err := tx.InsertGrids(ctx, id, put, e.Blobs); err != nil {
		return err
	}
	if err := insertLocks(ctx, tx, id, put); err != nil {
		return err
	}
	bound := put[0].Geom.Bound()
	for _, g := range put[1:] {
		bound = bound.Union(g.Geom.Bound())
	}
	return tx.GridsGrown(ctx, bound)
}

// deleteGrids deletes plan id's grids of codes with their locks and
// answers how many grids it deleted.
func deleteGrids(ctx context.Context, tx PlansTx, id gridplan.PlanID, codes []bundle.GridCode) (int, error) {
	grids, locks := tx.Tables()
	var deleted int64
	err := inChunks(codes, func(codes []bundle.GridCode) error {
		in, args := tx.InCodes("code", 2, codes)
		args = append([]any{int64(id)}, args...)
		if _, err := tx.Exec(ctx, `DELETE FROM `+locks+` WHERE plan_id = $1 AND `+in, args...); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM `+grids+` WHERE plan_id = $1 AND `+in, args...)
		deleted += n
		return err
	})
	return int(deleted), err
}

// InList is the condition that col is one of codes, "col IN ($first,
// $first+1, …)", and the codes as its arguments: the InCodes of a
// dialect without arrays.
func InList(col string, first int, codes []bundle.GridCode) (string, []any) {
	marks := make([]string, len(codes))
	args := make([]any, len(codes))
	for i, c := range codes {
		marks[i] = "$" + strconv.Itoa(first+i)
		args[i] = string(c)
	}
	return col + " IN (" + strings.Join(marks, ", ") + ")", args
}
