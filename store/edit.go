package store

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// EditPlan applies one planner edit to draft id of s (gridplan.ApplyEdit)
// and writes it with EditGrids (EditGridsUnits when the edit changes
// units: the units of the touched communities are read first), the
// changed rows in one transaction. b is
// the bundle to recount with; nil reads it from s. Conflict unless id is
// a draft; a refused edit (*gridplan.RefusedError, Invalid, Conflict)
// writes nothing.
func EditPlan(ctx context.Context, s Store, id gridplan.PlanID, b *bundle.Bundle, e gridplan.Edit, part gridplan.Partitioner) (*gridplan.EditResult, error) {
	return editPlan(ctx, s, id, b, e, part, nil)
}

// EditPlanKeyed is EditPlan that stores answer(result) with the edit (and
// its units), in its transaction (EditGridsKeyed): a retry finds the answer
// (KeyedAnswer) instead of applying the edit again.
func EditPlanKeyed(ctx context.Context, s Store, id gridplan.PlanID, b *bundle.Bundle, e gridplan.Edit, part gridplan.Partitioner,
	answer func(*gridplan.EditResult) (KeyedAnswer, error)) (*gridplan.EditResult, error) {
	return editPlan(ctx, s, id, b, e, part, answer)
}

func editPlan(ctx context.Context, s Store, id gridplan.PlanID, b *bundle.Bundle, e gridplan.Edit, part gridplan.Partitioner,
	answer func(*gridplan.EditResult) (KeyedAnswer, error)) (*gridplan.EditResult, error) {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Status != gridplan.Draft {
		return nil, ErrNotDraft(id, p.Status)
	}
	if b == nil {
		if b, err = s.Bundle(ctx); err != nil {
			return nil, err
		}
	}
	cp := *p
	p = &cp
	p.Units = nil
	if cs := gridplan.EditCommunities(p, e); len(cs) > 0 {
		if codes := gridplan.GridsOf(p, cs); len(codes) > 0 {
			if p.Units, err = s.PlanUnits(ctx, id, codes...); err != nil {
				return nil, err
			}
		}
	}
	res, err := gridplan.ApplyEdit(ctx, p, b, e, part)
	if err != nil {
		return nil, err
	}
	switch {
	case answer != nil:
		a, aerr := answer(res)
		if aerr != nil {
			return nil, aerr
		}
		err = s.EditGridsKeyed(ctx, id, res.Changed, res.Removed, res.Base, res.Units, a)
	case res.Units != nil:
		err = s.EditGridsUnits(ctx, id, res.Changed, res.Removed, res.Base, *res.Units)
	default:
		err = s.EditGrids(ctx, id, res.Changed, res.Removed, res.Base)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}
