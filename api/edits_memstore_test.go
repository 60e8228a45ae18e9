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
	have := map[bundle.GridCode]store.StoredGrid{}
	for _, g := range p.Grids {
		have[g.Code] = store.StoredGrid{Households: g.Households, Geom: g.Geom}
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

func (m *memStore) PlanUnits(ctx context.Context, id gridplan.PlanID, grids ...bundle.GridCode) ([]gridplan.Unit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.plan(id)
	if err != nil {
		return nil, err
	}
	in := map[bundle.GridCode]bool{}
	for _, g := range grids {
		in[g] = true
	}
	var out []gridplan.Unit
	for _, u := range p.Units {
		if len(grids) == 0 || in[u.Grid] {
			out = append(out, u)
		}
	}
	return out, nil
}

func (m *memStore) CreateDraft(ctx context.Context, from gridplan.PlanID, name string) (gridplan.PlanID, error) {
	m.mu.Lock()
	p, err := m.plan(from)
	m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	cp := *p
	cp.Name, cp.Parent = name, from
	cp.Grids = append([]gridplan.Grid(nil), p.Grids...)
	cp.Units = append([]gridplan.Unit(nil), p.Units...)
	return m.CreatePlan(ctx, &cp)
}

// CreateDraftKeyed is CreateDraft storing answer(id) under its key, both
// under the store's lock as in one transaction.
func (m *memStore) CreateDraftKeyed(ctx context.Context, from gridplan.PlanID, name string, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) (gridplan.PlanID, error) {
	m.draftMu.Lock()
	defer m.draftMu.Unlock()
	id, err := m.CreateDraft(ctx, from, name)
	if err != nil {
		return 0, err
	}
	a, err := answer(id)
	if err == nil {
		err = a.Validate()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, used := m.keyed[keyedKey{from, a.Key}]; err == nil && used {
		err = errs.E(errs.Conflict, "Idempotency-Key", "plan %d has an answer under this key already", from)
	}
	if err != nil {
		for i, p := range m.plans {
			if p.ID == id {
				m.plans = append(m.plans[:i], m.plans[i+1:]...)
				break
			}
		}
		return 0, err
	}
	if m.keyed == nil {
		m.keyed = map[keyedKey]store.KeyedAnswer{}
	}
	m.keyed[keyedKey{from, a.Key}] = a
	return id, nil
}

func (m *memStore) EditGridsUnits(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, u gridplan.UnitsEdit) error {
	if err := gridplan.CheckUnits(u.Units, u.Grids); err != nil {
		return err
	}
	if err := m.EditGrids(ctx, id, put, removed, base); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, _ := m.plan(id)
	drop := map[bundle.GridCode]bool{}
	for _, g := range u.Grids {
		drop[g] = true
	}
	var keep []gridplan.Unit
	for _, x := range p.Units {
		if !drop[x.Grid] {
			keep = append(keep, x)
		}
	}
	p.Units = append(keep, u.Units...)
	return nil
}
