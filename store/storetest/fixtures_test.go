package storetest

import (
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// The contract suite is only as good as its inputs: a SmallBundle that
// failed bundle.Check would make every store reject the import and the
// suite would test error paths only.
func TestSmallBundleIsValid(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 42} {
		b := SmallBundle(seed)
		if probs := bundle.Check(b); len(probs) > 0 {
			t.Fatalf("seed %d: SmallBundle fails bundle.Check: %v", seed, probs.Err())
		}
		grids := CommunityGrids(b)
		if len(grids) != len(b.Communities) {
			t.Fatalf("seed %d: %d grids for %d communities", seed, len(grids), len(b.Communities))
		}
		hh := 0
		for _, g := range grids {
			hh += g.Households
		}
		if hh != b.Households() {
			t.Fatalf("seed %d: grids hold %d households, buildings %d", seed, hh, b.Households())
		}
	}
}

// PukouPlan must return the committed 719-grid plan, whose households add up
// to the bundle's.
func TestPukouPlanIsCommittedPlan(t *testing.T) {
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	grids, err := PukouPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(grids) != 719 {
		t.Fatalf("PukouPlan has %d grids, want the committed plan's 719", len(grids))
	}
	hh := 0
	for _, g := range grids {
		hh += g.Households
	}
	if hh != b.Households() {
		t.Fatalf("plan holds %d households, bundle %d", hh, b.Households())
	}
}
