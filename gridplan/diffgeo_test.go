package gridplan_test

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// TestDiffFeatures: the boundary between two strips moved east by 0.2
// of the width: both grids changed, each feature's geometry the strip of
// 0.2 that changed hands (area checked); a split adds the new grid with
// its polygon; a merge removes one with its old polygon; a
// households-only change keeps the grid's polygon (geometry_kind grid).
func TestDiffFeatures(t *testing.T) {
	a := diffPlan(1, 0, 0.5, 1)
	area := func(f orb.Geometry) float64 {
		switch g := f.(type) {
		case orb.Polygon:
			return planar.Area(g)
		case orb.MultiPolygon:
			return planar.Area(g)
		}
		return math.NaN()
	}
	strip02 := side * side * 0.2
	for _, tc := range []struct {
		name    string
		b       *gridplan.Plan
		changes []string  // change of each feature
		kinds   []string  // geometry_kind of each feature
		areas   []float64 // area of each feature, degrees²
	}{
		{"boundary moved east", diffPlan(2, 0, 0.7, 1), []string{"changed", "changed"}, []string{gridplan.GeomChanged, gridplan.GeomChanged}, []float64{strip02, strip02}},
		{"east half split", diffPlan(2, 0, 0.5, 0.8, 1), []string{"added", "changed"}, []string{gridplan.GeomGrid, gridplan.GeomChanged},
			[]float64{side * side * 0.2, side * side * 0.2}},
		{"merged into one", diffPlan(2, 0, 1), []string{"removed", "changed"}, []string{gridplan.GeomGrid, gridplan.GeomChanged},
			[]float64{side * side * 0.5, side * side * 0.5}},
		{"households only", func() *gridplan.Plan { p := diffPlan(2, 0, 0.5, 1); p.Grids[0].Households = 7; return p }(),
			[]string{"changed"}, []string{gridplan.GeomGrid}, []float64{side * side * 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := gridplan.Diff(a, tc.b, &bundle.Bundle{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			fc := gridplan.DiffFeatures(a, tc.b, d)
			if len(fc.Features) != len(tc.changes) {
				t.Fatalf("%d features, want %d", len(fc.Features), len(tc.changes))
			}
			for i, f := range fc.Features {
				p := f.Properties
				if p["change"] != tc.changes[i] || p["geometry_kind"] != tc.kinds[i] || p["code"] == "" || p["community"] != "310101002003" {
					t.Errorf("feature %d: %v", i, p)
				}
				if got := area(f.Geometry); math.Abs(got-tc.areas[i]) > 1e-12 {
					t.Errorf("feature %d (%v): area %g, want %g", i, p["code"], got, tc.areas[i])
				}
				from, to := p["households_from"].(*int), p["households_to"].(*int)
				if (from == nil) != (tc.changes[i] == "added") || (to == nil) != (tc.changes[i] == "removed") {
					t.Errorf("feature %d: households_from %v, households_to %v for %s", i, from, to, tc.changes[i])
				}
			}
		})
	}
}
