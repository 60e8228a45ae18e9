package api

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

func (m *memStore) EditGrids(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.plan(id)
	if err != nil {
		return err
	}
	if p.Status != gridplan.Draft {
		return store.ErrNotDraft(id, p.Status)
	}
	have := map[bundle.GridCode]int{}
	for _, g := range p.Grids {
		have[g.Code] = g.Households
	}
	if err := store.CheckEditBase(id, put, base, have); err != nil {
		return err
	}
	drop := map[bundle.GridCode]bool{}
	for _, c := range removed {
		drop[c] = true
	}
	byCode := map[bundle.GridCode]gridplan.Grid{}
	for _, g := range put {
		byCode[g.Code] = g
	}
	var out []gridplan.Grid
	for _, g := range p.Grids {
		if drop[g.Code] {
			delete(drop, g.Code)
			continue
		}
		if n, ok := byCode[g.Code]; ok {
			g = n
			delete(byCode, g.Code)
		}
		out = append(out, g)
	}
	if len(drop) > 0 {
		return errs.E(errs.NotFound, "removed", "plan %d lacks grids %v", id, drop)
	}
	for _, g := range put {
		if _, ok := byCode[g.Code]; ok {
			out = append(out, g)
		}
	}
	p.Grids = out
	return nil
}
