package storetest

import (
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// testGridLocks: a grid's Locked flag is stored with the plan by
// CreatePlan and ReplaceGrids (migration 050), read back by Plan, copied
// into a new plan, and cleared by a replace that unlocks it.
func testGridLocks(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	locked := func(p *gridplan.Plan) (out []bundle.GridCode) {
		for _, g := range p.Grids {
			if g.Locked {
				out = append(out, g.Code)
			}
		}
		return out
	}
	pa := NewPlan(b, "locks", 0)
	pa.Grids[1].Locked = true
	id, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Plan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if l := locked(got); len(l) != 1 || l[0] != pa.Grids[1].Code {
		t.Fatalf("after CreatePlan: locked %v, want [%s]", l, pa.Grids[1].Code)
	}
	next := append([]gridplan.Grid(nil), got.Grids...)
	next[1].Locked, next[2].Locked, next[3].Locked = false, true, true
	if err := s.ReplaceGrids(ctx, id, next); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Plan(ctx, id)
	if l := locked(got); len(l) != 2 || l[0] != next[2].Code || l[1] != next[3].Code {
		t.Fatalf("after ReplaceGrids: locked %v, want [%s %s]", l, next[2].Code, next[3].Code)
	}
	// A replace without the grid drops its lock with it.
	if err := s.ReplaceGrids(ctx, id, append(append([]gridplan.Grid(nil), next[:3]...), next[4:]...)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Plan(ctx, id)
	if l := locked(got); len(l) != 1 || l[0] != next[2].Code {
		t.Fatalf("after dropping a locked grid: locked %v, want [%s]", l, next[2].Code)
	}
	// Another plan's locks are its own.
	other, err := s.CreatePlan(ctx, NewPlan(b, "other", id))
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Plan(ctx, other); len(locked(o)) != 0 {
		t.Fatalf("a new plan has locks %v", locked(o))
	}
	if got, _ = s.Plan(ctx, id); len(locked(got)) != 1 {
		t.Fatalf("creating another plan changed the locks: %v", locked(got))
	}
}
