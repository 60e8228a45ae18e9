package dispatch

import (
	"errors"
	"io/fs"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// pukou loads the committed Pukou bundle and, when committed, its plan.
func pukou(tb testing.TB) (*bundle.Bundle, []gridplan.Grid) {
	tb.Helper()
	b, err := fixtures.LoadPukou()
	if err != nil {
		tb.Fatal(err)
	}
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if errors.Is(err, fs.ErrNotExist) {
		tb.Log("fixtures/pukou/plan.geojson not committed yet: testing without grids")
		return b, nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		tb.Fatal(err)
	}
	return b, grids
}

func TestPukouBuildings(t *testing.T) {
	b, grids := pukou(t)
	plans := map[string][]gridplan.Grid{"no plan": nil}
	if grids != nil {
		plans["plan"] = grids
	}
	for name, gs := range plans {
		t.Run(name, func(t *testing.T) {
			d, err := NewDirectory(b, gs, nil)
			if err != nil {
				t.Fatal(err)
			}
			comms := map[bundle.CommunityCode]*bundle.Community{}
			bounds := make([]orb.Bound, len(b.Communities))
			for i := range b.Communities {
				comms[b.Communities[i].Code] = &b.Communities[i]
				bounds[i] = b.Communities[i].Geom.Bound()
			}
			gridGeom := map[bundle.GridCode]orb.MultiPolygon{}
			for _, g := range gs {
				gridGeom[g.Code] = g.Geom
			}
			facs := map[string]*bundle.Facility{}
			for i := range b.Facilities {
				facs[b.Facilities[i].Code] = &b.Facilities[i]
			}
			workerComm := map[string]bundle.CommunityCode{}
			for _, w := range b.Workers {
				workerComm[w.ID] = w.Community
			}
			step := 1
			if testing.Short() {
				step = 10
			}
			n, withGrid := 0, 0
			for bi := 0; bi < len(b.Buildings); bi += step {
				bl := b.Buildings[bi]
				a, err := d.Locate(bl.Loc[0], bl.Loc[1], 0)
				if err != nil {
					t.Fatalf("building %s at %v: %v", bl.ID, bl.Loc, err)
				}
				n++
				// the community, by an independent point-in-polygon test
				var want []bundle.CommunityCode
				for i, c := range b.Communities {
					if bounds[i].Contains(bl.Loc) && planar.MultiPolygonContains(c.Geom, bl.Loc) {
						want = append(want, c.Code)
					}
				}
				if len(want) != 1 || want[0] != a.Community.Code {
					t.Fatalf("building %s at %v: located in %s, polygons say %v", bl.ID, bl.Loc, a.Community.Code, want)
				}
				c := comms[a.Community.Code]
				if a.Street.Code != c.Street || a.Community.Name != c.Name || a.Community.Kind != c.Kind {
					t.Fatalf("building %s: street %s / community %+v, bundle says %s / %+v", bl.ID, a.Street.Code, a.Community, c.Street, c)
				}
				if a.Subcentre == nil || facs[a.Subcentre.Code].Kind != bundle.Subcentre || facs[a.Subcentre.Code].Street != a.Street.Code {
					t.Fatalf("building %s: sub-centre %+v is not street %s's", bl.ID, a.Subcentre, a.Street.Code)
				}
				if d := geo.DistanceM(bl.Loc, facs[a.Subcentre.Code].Loc); math.Abs(a.Subcentre.DistanceM-d) > 1e-6*d+1e-6 {
					t.Fatalf("building %s: sub-centre distance %v, geo.DistanceM says %v", bl.ID, a.Subcentre.DistanceM, d)
				}
				if a.Workstation != nil && (facs[a.Workstation.Code].Kind != bundle.Workstation || facs[a.Workstation.Code].Community != a.Community.Code) {
					t.Fatalf("building %s: work station %+v is not community %s's", bl.ID, a.Workstation, a.Community.Code)
				}
				for _, w := range a.Workers {
					if workerComm[w.ID] != a.Community.Code {
						t.Fatalf("building %s: worker %s belongs to %s, not %s", bl.ID, w.ID, workerComm[w.ID], a.Community.Code)
					}
				}
				if gs == nil && a.Grid != nil {
					t.Fatalf("building %s: grid %v without a plan", bl.ID, a.Grid)
				}
				if a.Grid != nil {
					withGrid++
					if a.Grid.Code.Community() != a.Community.Code || !planar.MultiPolygonContains(gridGeom[a.Grid.Code], bl.Loc) {
						t.Fatalf("building %s: grid %s does not hold it or is not in community %s", bl.ID, a.Grid.Code, a.Community.Code)
					}
				}
			}
			t.Logf("%d buildings located, %d in a grid", n, withGrid)
			if gs != nil && withGrid != n {
				t.Errorf("%d of %d buildings fall in no grid", n-withGrid, n)
			}
		})
	}
}

func TestPukouOutsideAndPatrols(t *testing.T) {
	b, grids := pukou(t)
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := b.District.Geom.Bound()
	mid := (db.Min[1] + db.Max[1]) / 2
	for _, p := range []orb.Point{{db.Max[0] + 0.02, mid}, {db.Min[0] - 0.05, mid}, {(db.Min[0] + db.Max[0]) / 2, db.Max[1] + 0.03}} {
		_, err := d.Locate(p[0], p[1], 3)
		var oe *OutsideError
		if !errors.As(err, &oe) || !errs.Is(err, errs.NotFound) {
			t.Fatalf("%v: got %v, want an OutsideError", p, err)
		}
		// Plausible: at least the distance to the district's bounding box,
		// at most the distance to the nearest vertex of the nearest area.
		lower := geo.DistanceM(p, orb.Point{math.Max(db.Min[0], math.Min(p[0], db.Max[0])), math.Max(db.Min[1], math.Min(p[1], db.Max[1]))})
		var geom orb.MultiPolygon
		if oe.NearestGrid != "" {
			for _, g := range grids {
				if g.Code == oe.NearestGrid {
					geom = g.Geom
				}
			}
		} else if c, ok := b.Community(oe.NearestCommunity); ok {
			geom = c.Geom
		}
		upper := math.Inf(1)
		for _, poly := range geom {
			for _, q := range poly[0] {
				upper = math.Min(upper, geo.DistanceM(p, q))
			}
		}
		t.Logf("%v: nearest %s/%s at %.0f m (bounds %.0f..%.0f)", p, oe.NearestGrid, oe.NearestCommunity, oe.DistanceM, lower, upper)
		if oe.DistanceM < lower*0.995 || oe.DistanceM > upper*1.005 {
			t.Errorf("%v: distance %.0f m outside %.0f..%.0f", p, oe.DistanceM, lower, upper)
		}
	}
	// the k nearest available patrols of a central point, checked by brute force
	c := b.Buildings[len(b.Buildings)/2].Loc
	for _, id := range []string{b.Patrols[0].ID, b.Patrols[1].ID} {
		if err := d.SetUnit(id, c[0], c[1], geo.UnitBusy); err != nil {
			t.Fatal(err)
		}
	}
	a, err := d.Locate(c[0], c[1], 5)
	if err != nil {
		t.Fatal(err)
	}
	checkPatrols(t, b, d, c[0], c[1], 5, a.Patrols, b.Patrols[0].ID, b.Patrols[1].ID)
}
