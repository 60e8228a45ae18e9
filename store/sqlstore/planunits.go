package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// PlanUnitsDialect is where the backends' plan units differ: one packed
// blob a grid, or two arrays.
type PlanUnitsDialect interface {
	// UnitCols are the columns of plan_units after plan_id and grid;
	// InsertUnits writes plan id's units, by grid (the grids in order);
	// ScanUnits reads a row of grid and UnitCols.
	UnitCols() string
	InsertUnits(ctx context.Context, id gridplan.PlanID, grids []bundle.GridCode, by map[bundle.GridCode][]gridplan.Unit) error
	ScanUnits(r sqlq.Row) ([]gridplan.Unit, error)
	// InCodes is the condition that col is one of codes, its arguments
	// numbered from $first.
	InCodes(col string, first int, codes []bundle.GridCode) (string, []any)
}

// insertUnits writes units of plan id (migration 080), one row a grid.
func insertUnits(ctx context.Context, tx PlansTx, id gridplan.PlanID, units []gridplan.Unit) error {
	if len(units) == 0 {
		return nil
	}
	grids, by := store.GridUnits(units)
	return tx.InsertUnits(ctx, id, grids, by)
}

// PlanUnits returns plan id's units of grids (all of them when grids is
// empty), by grid then unit.
func (s *PlanStore) PlanUnits(ctx context.Context, id gridplan.PlanID, grids ...bundle.GridCode) ([]gridplan.Unit, error) {
	var out []gridplan.Unit
	err := s.b.ReadPlans(ctx, func(tx PlansTx) error {
		if _, err := PlanStatus(ctx, tx, id); err != nil {
			return err
		}
		q, args := `SELECT grid, `+tx.UnitCols()+` FROM plan_units WHERE plan_id = $1`, []any{int64(id)}
		if len(grids) > 0 {
			in, more := tx.InCodes("grid", 2, grids)
			q, args = q+` AND `+in, append(args, more...)
		}
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			us, err := tx.ScanUnits(r)
			out = append(out, us...)
			return err
		}, q+` ORDER BY grid`, args...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateDraft copies plan from into a new draft whose parent it is:
// grids, locks and units, in one transaction.
func (s *PlanStore) CreateDraft(ctx context.Context, from gridplan.PlanID, name string) (gridplan.PlanID, error) {
	return s.CreateDraftKeyed(ctx, from, name, nil)
}

// CreateDraftKeyed is CreateDraft storing answer(id) under its key for
// plan from in the same transaction (no answer when answer is nil).
func (s *PlanStore) CreateDraftKeyed(ctx context.Context, from gridplan.PlanID, name string, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) (gridplan.PlanID, error) {
	var id gridplan.PlanID
	err := s.b.WritePlans(ctx, "draft", func(tx PlansTx) error {
		err := tx.QueryRow(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
			SELECT $1, 'draft', id, params, report, $2 FROM plans WHERE id = $3 RETURNING id`,
			strings.TrimSpace(name), tx.Time(s.Now()), int64(from)).Scan(&id)
		if errors.Is(err, sqlq.ErrNoRows) {
			return errNoPlan(from)
		}
		if err != nil {
			return err
		}
		grids, locks := tx.Tables()
		units := tx.UnitCols()
		for _, q := range []string{
			`INSERT INTO ` + grids + ` (plan_id, code, community_code, street_code, kind, households, target, geom)
				SELECT $1, code, community_code, street_code, kind, households, target, geom FROM ` + grids + ` WHERE plan_id = $2 ORDER BY code`,
			`INSERT INTO ` + locks + ` (plan_id, code) SELECT $1, code FROM ` + locks + ` WHERE plan_id = $2`,
			`INSERT INTO plan_units (plan_id, grid, ` + units + `) SELECT $1, grid, ` + units + ` FROM plan_units WHERE plan_id = $2`,
		} {
			if _, err := tx.Exec(ctx, q, int64(id), int64(from)); err != nil {
				return err
			}
		}
		if err := tx.TablesChanged(ctx, grids); err != nil || answer == nil {
			return err
		}
		return StoreAnswer(ctx, tx, tx, from, id, answer)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// EditGridsUnits is EditGrids that also replaces the units of u.Grids by
// u.Units, in the same transaction.
func (s *PlanStore) EditGridsUnits(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, u gridplan.UnitsEdit) error {
	return s.EditPlan(ctx, id, put, removed, base, &u, nil)
}

// replaceUnits deletes the units of u.Grids and inserts u.Units.
func replaceUnits(ctx context.Context, tx PlansTx, id gridplan.PlanID, u gridplan.UnitsEdit) error {
	err := inChunks(u.Grids, func(codes []bundle.GridCode) error {
		in, args := tx.InCodes("grid", 2, codes)
		_, err := tx.Exec(ctx, `DELETE FROM plan_units WHERE plan_id = $1 AND `+in, append([]any{int64(id)}, args...)...)
		return err
	})
	if err != nil {
		return err
	}
	return insertUnits(ctx, tx, id, u.Units)
}
