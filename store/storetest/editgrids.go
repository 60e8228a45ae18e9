package storetest

import (
	"github.com/paulmach/orb"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// testEditGrids: EditGrids replaces the grids it is given by code, adds
// new ones, deletes the removed ones with their locks and leaves the
// others alone; a missing plan, a plan that is not a draft, a bad grid, a
// removed code the plan lacks or a stale base (another edit came first:
// Conflict) change nothing.
func testEditGrids(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	grids := CommunityGrids(b)
	wantCode(t, "EditGrids(999)", s.EditGrids(ctx, 999, grids[:1], nil, grids[:1]), errs.NotFound)
	pa := NewPlan(b, "edit", 0)
	pa.Grids[2].Locked = true
	id, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	changed := pa.Grids[0]
	changed.Households += 7
	changed.Locked = true
	added := pa.Grids[1]
	added.Code = bundle.GridCode(string(added.Community) + "002")
	base := []gridplan.Grid{pa.Grids[0], pa.Grids[2]}
	// Another edit came first: a base grid's households differ, a base
	// grid is gone, a new code exists already. Nothing is written.
	stale := []gridplan.Grid{pa.Grids[0], pa.Grids[2]}
	stale[0].Households++
	wantCode(t, "EditGrids(stale base)", s.EditGrids(ctx, id, []gridplan.Grid{changed, added}, []bundle.GridCode{pa.Grids[2].Code}, stale), errs.Conflict)
	ghost := pa.Grids[1]
	ghost.Code = bundle.GridCode(string(ghost.Community) + "009")
	wantCode(t, "EditGrids(base grid gone)", s.EditGrids(ctx, id, []gridplan.Grid{changed}, nil, []gridplan.Grid{pa.Grids[0], ghost}), errs.Conflict)
	wantCode(t, "EditGrids(new code exists)", s.EditGrids(ctx, id, []gridplan.Grid{changed, pa.Grids[1]}, nil, base[:1]), errs.Conflict)
	// Another edit changed only a base grid's shape (same households):
	// still another edit came first.
	reshaped := []gridplan.Grid{pa.Grids[0], pa.Grids[2]}
	reshaped[0].Geom = shiftedVertex(reshaped[0].Geom)
	wantCode(t, "EditGrids(base reshaped)", s.EditGrids(ctx, id, []gridplan.Grid{changed, added}, []bundle.GridCode{pa.Grids[2].Code}, reshaped), errs.Conflict)
	got, err := s.Plan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameGrids(t, "after conflicting edits", got.Grids, pa.Grids)
	if err := s.EditGrids(ctx, id, []gridplan.Grid{changed, added}, []bundle.GridCode{pa.Grids[2].Code}, base); err != nil {
		t.Fatal(err)
	}
	want := append([]gridplan.Grid{changed, pa.Grids[1], added}, pa.Grids[3:]...)
	got, err = s.Plan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameGrids(t, "after EditGrids", got.Grids, want)
	for _, g := range got.Grids {
		if g.Locked != (g.Code == changed.Code) {
			t.Fatalf("grid %s locked=%v after EditGrids", g.Code, g.Locked)
		}
	}

	bad := changed
	bad.Code = "12"
	wantCode(t, "EditGrids(bad code)", s.EditGrids(ctx, id, []gridplan.Grid{bad}, nil, nil), errs.Invalid)
	wantCode(t, "EditGrids(removed code missing)", s.EditGrids(ctx, id, []gridplan.Grid{pa.Grids[1]}, []bundle.GridCode{pa.Grids[2].Code}, []gridplan.Grid{pa.Grids[1]}), errs.NotFound)
	got, _ = s.Plan(ctx, id)
	sameGrids(t, "after refused edits", got.Grids, want)
	if err := s.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "EditGrids(published)", s.EditGrids(ctx, id, []gridplan.Grid{changed}, nil, []gridplan.Grid{changed}), errs.Conflict)
	got, _ = s.Plan(ctx, id)
	sameGrids(t, "published plan after a refused edit", got.Grids, want)
}

// shiftedVertex is mp with its first ring's second vertex moved by 1e-7°
// (about 1 cm): another shape of about the same area, for a stale base.
func shiftedVertex(mp orb.MultiPolygon) orb.MultiPolygon {
	out := orb.MultiPolygon{}
	for _, p := range mp {
		q := orb.Polygon{}
		for _, r := range p {
			q = append(q, append(orb.Ring(nil), r...))
		}
		out = append(out, q)
	}
	out[0][0][1][0] += 1e-7
	return out
}
