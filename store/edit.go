package store

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// EditPlan applies one planner edit to draft id of s (gridplan.ApplyEdit)
// and writes it with EditGrids, the changed rows in one transaction. b is
// the bundle to recount with; nil reads it from s. Conflict unless id is
// a draft; a refused edit (*gridplan.RefusedError, Invalid, Conflict)
// writes nothing.
func EditPlan(ctx context.Context, s Store, id gridplan.PlanID, b *bundle.Bundle, e gridplan.Edit, part gridplan.Partitioner) (*gridplan.EditResult, error) {
	return editPlan(ctx, s, id, b, e, part, nil)
}

// EditPlanKeyed is EditPlan that stores answer(result) with the edit, in
// its transaction (EditGridsKeyed): a retry finds the answer
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
	res, err := gridplan.ApplyEdit(ctx, p, b, e, part)
	if err != nil {
		return nil, err
	}
	if answer != nil {
		a, err := answer(res)
		if err != nil {
			return nil, err
		}
		if err := s.EditGridsKeyed(ctx, id, res.Changed, res.Removed, res.Base, a); err != nil {
			return nil, err
		}
		return res, nil
	}
	if err := s.EditGrids(ctx, id, res.Changed, res.Removed, res.Base); err != nil {
		return nil, err
	}
	return res, nil
}
