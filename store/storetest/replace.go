package storetest

import (
	"testing"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// testReplaceGrids: a draft's grids are replaced whole; bad grids, a
// missing plan or a plan that is not a draft change nothing.
func testReplaceGrids(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	wantCode(t, "ReplaceGrids(999)", s.ReplaceGrids(ctx, 999, CommunityGrids(b)), errs.NotFound)

	pa := NewPlan(b, "A", 0)
	a, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	next := CommunityGrids(b)[1:]
	next[0].Households += 3
	if err := s.ReplaceGrids(ctx, a, next); err != nil {
		t.Fatal(err)
	}
	got, err := s.Plan(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	sameGrids(t, "after replace", got.Grids, next)
	if got.Name != "A" || got.Status != gridplan.Draft {
		t.Fatalf("replace changed the plan itself: %q %s", got.Name, got.Status)
	}

	bad := CommunityGrids(b)
	bad[2].Code = "12"
	wantCode(t, "ReplaceGrids(bad code)", s.ReplaceGrids(ctx, a, bad), errs.Invalid)
	got, _ = s.Plan(ctx, a)
	sameGrids(t, "after a refused replace", got.Grids, next)

	if err := s.PublishPlan(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "ReplaceGrids(published)", s.ReplaceGrids(ctx, a, CommunityGrids(b)), errs.Conflict)
	got, _ = s.Plan(ctx, a)
	sameGrids(t, "published plan after a refused replace", got.Grids, next)

	// Rollback: the previous plan is the archived plan published last.
	bID, err := s.CreatePlan(ctx, NewPlan(b, "B", a))
	if err != nil {
		t.Fatal(err)
	}
	plans, _ := s.Plans(ctx)
	if _, err := store.PreviousPlan(plans); !errs.Is(err, errs.NotFound) {
		t.Fatalf("PreviousPlan with one plan ever published: %v, want NotFound", err)
	}
	for _, step := range []struct{ publish, wantPrev gridplan.PlanID }{{bID, a}, {a, bID}, {bID, a}} {
		if err := s.PublishPlan(ctx, step.publish); err != nil {
			t.Fatal(err)
		}
		plans, err := s.Plans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := store.PreviousPlan(plans)
		if err != nil || prev != step.wantPrev {
			t.Fatalf("after publishing %d: previous plan %d (%v), want %d", step.publish, prev, err, step.wantPrev)
		}
	}
	wantCode(t, "ReplaceGrids(archived)", s.ReplaceGrids(ctx, a, CommunityGrids(b)), errs.Conflict)
}

func sameGrids(t *testing.T, what string, got, want []gridplan.Grid) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d grids, want %d", what, len(got), len(want))
	}
	byCode := map[string]gridplan.Grid{}
	for _, g := range got {
		byCode[string(g.Code)] = g
	}
	for _, w := range want {
		g, ok := byCode[string(w.Code)]
		if !ok || g.Households != w.Households || g.Community != w.Community || len(g.Geom) != len(w.Geom) {
			t.Fatalf("%s: grid %s = %+v (found %v), want households %d", what, w.Code, g.Households, ok, w.Households)
		}
	}
}
