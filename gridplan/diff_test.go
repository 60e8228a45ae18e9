package gridplan_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// A community of 0.01°×0.01° near 121°E 31°N cut into vertical strips;
// x is a fraction of its width.
const lon0, lat0, side = 121.30, 31.10, 0.01

func strip(x0, x1 float64) orb.MultiPolygon {
	a, b := lon0+x0*side, lon0+x1*side
	return orb.MultiPolygon{{{{a, lat0}, {b, lat0}, {b, lat0 + side}, {a, lat0 + side}, {a, lat0}}}}
}

func at(x, y float64) orb.Point { return orb.Point{lon0 + x*side, lat0 + y*side} }

func diffPlan(id gridplan.PlanID, cuts ...float64) *gridplan.Plan {
	p := &gridplan.Plan{ID: id, Name: "p"}
	for i := 0; i+1 < len(cuts); i++ {
		code, _ := bundle.NewGridCode("310101002003", i+1)
		p.Grids = append(p.Grids, gridplan.Grid{Code: code, Community: "310101002003", Street: "310101002",
			Kind: bundle.Urban, Geom: strip(cuts[i], cuts[i+1])})
	}
	return p
}

func TestDiff(t *testing.T) {
	b := &bundle.Bundle{
		Buildings: []bundle.Building{
			{ID: "11", Loc: at(0.2, 0.5), Households: 10},
			{ID: "12", Loc: at(0.6, 0.5), Households: 20},
			{ID: "13", Loc: at(0.9, 0.2), Households: 40},
		},
		Workers: []bundle.Worker{{ID: "w3", Community: "310101002003"}, {ID: "w1", Community: "310101002003"}, {ID: "w2", Community: "310101002003"}},
	}
	cases := []gridplan.Point{{ID: "c1", Loc: at(0.65, 0.1)}, {ID: "c2", Loc: at(0.1, 0.9)}}
	g := func(n int) bundle.GridCode { c, _ := bundle.NewGridCode("310101002003", n); return c }
	a := diffPlan(1, 0, 0.5, 1) // w1→001, w2→002, w3→001
	tests := []struct {
		name                      string
		b                         *gridplan.Plan
		added, removed, changed   []bundle.GridCode
		hhMoved, workers, casesMv int
		buildings                 []gridplan.Move
	}{
		{"same plan", diffPlan(2, 0, 0.5, 1), nil, nil, nil, 0, 0, 0, []gridplan.Move{}},
		{"boundary moved east", diffPlan(2, 0, 0.7, 1), nil, nil, []bundle.GridCode{g(1), g(2)}, 20, 0, 1,
			[]gridplan.Move{{ID: "12", From: g(2), To: g(1), Households: 20}}},
		{"merged into one", diffPlan(2, 0, 1), nil, []bundle.GridCode{g(2)}, []bundle.GridCode{g(1)}, 60, 1, 1,
			[]gridplan.Move{{ID: "12", From: g(2), To: g(1), Households: 20}, {ID: "13", From: g(2), To: g(1), Households: 40}}},
		{"east half split", diffPlan(2, 0, 0.5, 0.8, 1), []bundle.GridCode{g(3)}, nil, []bundle.GridCode{g(2)}, 40, 1, 0,
			[]gridplan.Move{{ID: "13", From: g(2), To: g(3), Households: 40}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := gridplan.Diff(a, tc.b, b, cases)
			if err != nil {
				t.Fatal(err)
			}
			codes := func(rs []gridplan.GridRef) (out []bundle.GridCode) {
				for _, r := range rs {
					out = append(out, r.Code)
				}
				return out
			}
			var changed []bundle.GridCode
			for _, c := range d.Changed {
				changed = append(changed, c.Code)
				if !c.GeometryChanged {
					t.Errorf("grid %s changed without its geometry changing", c.Code)
				}
			}
			if got := codes(d.Added); !reflect.DeepEqual(got, tc.added) {
				t.Errorf("added %v, want %v", got, tc.added)
			}
			if got := codes(d.Removed); !reflect.DeepEqual(got, tc.removed) {
				t.Errorf("removed %v, want %v", got, tc.removed)
			}
			if !reflect.DeepEqual(changed, tc.changed) {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			if d.Impact.HouseholdsMoved != tc.hhMoved || !reflect.DeepEqual(d.Impact.Buildings, tc.buildings) {
				t.Errorf("households moved %d %+v, want %d %+v", d.Impact.HouseholdsMoved, d.Impact.Buildings, tc.hhMoved, tc.buildings)
			}
			if d.Impact.WorkersMoved != tc.workers || len(d.Impact.Workers) != tc.workers {
				t.Errorf("workers moved %d %+v, want %d", d.Impact.WorkersMoved, d.Impact.Workers, tc.workers)
			}
			if d.Impact.OpenCasesMoved == nil || *d.Impact.OpenCasesMoved != tc.casesMv {
				t.Errorf("open cases moved %v %+v, want %d", d.Impact.OpenCasesMoved, d.Impact.OpenCases, tc.casesMv)
			}
		})
	}
	if d, _ := gridplan.Diff(a, a, b, nil); d.Impact.OpenCasesMoved != nil {
		t.Error("open cases counted though none were given")
	}
}

func ExampleDiff() {
	b := &bundle.Bundle{Buildings: []bundle.Building{{ID: "1", Loc: at(0.6, 0.5), Households: 20}, {ID: "2", Loc: at(0.2, 0.5), Households: 9}}}
	d, _ := gridplan.Diff(diffPlan(1, 0, 0.5, 1), diffPlan(2, 0, 0.7, 1), b, nil)
	fmt.Println(len(d.Added), len(d.Removed), len(d.Changed), d.Impact.HouseholdsMoved)
	// Output: 0 0 2 20
}
