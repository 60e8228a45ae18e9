package dispatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// smallDistrict is two streets side by side, each of two square
// communities (lon 118.60..118.64, lat 32.10..32.11, 0.01° wide), with a
// sub-centre per street, a work station per community, patrols and
// workers. Community 001001 has three grids, the others two.
func smallDistrict() (*bundle.Bundle, []gridplan.Grid) {
	b := &bundle.Bundle{District: bundle.District{Code: "320111", Name: "Test", Geom: rect(118.60, 32.10, 118.64, 32.11)}}
	var grids []gridplan.Grid
	for s := 0; s < 2; s++ {
		sc := bundle.StreetCode(fmt.Sprintf("320111%03d", s+1))
		sx := 118.60 + 0.02*float64(s)
		b.Streets = append(b.Streets, bundle.Street{Code: sc, Name: fmt.Sprintf("Street %d", s+1), Geom: rect(sx, 32.10, sx+0.02, 32.11)})
		b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Subcentre, Code: fmt.Sprintf("SC%d", s+1), Name: fmt.Sprintf("Sub-centre %d", s+1), Street: sc, Loc: orb.Point{sx + 0.01, 32.105}})
		for c := 0; c < 2; c++ {
			cc := bundle.CommunityCode(fmt.Sprintf("%s%03d", sc, c+1))
			cx := sx + 0.01*float64(c)
			kind := bundle.Urban
			if c == 1 {
				kind = bundle.Rural
			}
			b.Communities = append(b.Communities, bundle.Community{Code: cc, Name: "Community " + string(cc[6:]), Street: sc, Kind: kind, Geom: rect(cx, 32.10, cx+0.01, 32.11)})
			b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Workstation, Code: "WS" + string(cc[6:]), Name: "Station " + string(cc[6:]), Street: sc, Community: cc, Loc: orb.Point{cx + 0.005, 32.105}})
			n := 2
			if s == 0 && c == 0 {
				n = 3
			}
			for g := 0; g < n; g++ {
				gc, _ := bundle.NewGridCode(cc, g+1)
				w := 0.01 / float64(n)
				grids = append(grids, gridplan.Grid{Code: gc, Community: cc, Street: sc, Kind: kind, Households: 400 + g, Target: 500, Geom: rect(cx+w*float64(g), 32.10, cx+w*float64(g+1), 32.11)})
			}
			// five workers, listed out of id order
			for _, w := range []int{5, 3, 1, 4, 2} {
				b.Workers = append(b.Workers, bundle.Worker{ID: fmt.Sprintf("%s-w%d", cc[6:], w), Name: fmt.Sprintf("Worker %d", w), Community: cc})
			}
		}
	}
	for i, p := range []orb.Point{{118.601, 32.101}, {118.615, 32.105}, {118.625, 32.109}, {118.639, 32.102}, {118.62, 32.12}} {
		b.Patrols = append(b.Patrols, bundle.Patrol{ID: fmt.Sprintf("P%d", i+1), Callsign: fmt.Sprintf("Pukou-%d", i+1), Loc: p, Street: b.Streets[min(i/2, 1)].Code})
	}
	return b, grids
}

func TestLocate(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		lon, lat    float64
		street      bundle.StreetCode
		community   bundle.CommunityCode
		grid        bundle.GridCode
		subcentre   string
		workstation string
		workers     []string
	}{
		{"first grid of a three-grid community", 118.601, 32.105, "320111001", "320111001001", "320111001001001", "SC1", "WS001001", []string{"001001-w1", "001001-w4"}},
		{"second grid", 118.605, 32.105, "320111001", "320111001001", "320111001001002", "SC1", "WS001001", []string{"001001-w2", "001001-w5"}},
		{"third grid", 118.609, 32.105, "320111001", "320111001001", "320111001001003", "SC1", "WS001001", []string{"001001-w3"}},
		{"two-grid community, first", 118.612, 32.105, "320111001", "320111001002", "320111001002001", "SC1", "WS001002", []string{"001002-w1", "001002-w3", "001002-w5"}},
		{"other street", 118.638, 32.101, "320111002", "320111002002", "320111002002002", "SC2", "WS002002", []string{"002002-w2", "002002-w4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := d.Locate(tc.lon, tc.lat, 3)
			if err != nil {
				t.Fatal(err)
			}
			if a.Street.Code != tc.street || a.Community.Code != tc.community || a.Grid == nil || a.Grid.Code != tc.grid {
				t.Fatalf("got street %s community %s grid %+v", a.Street.Code, a.Community.Code, a.Grid)
			}
			if a.Subcentre == nil || a.Subcentre.Code != tc.subcentre || a.Workstation == nil || a.Workstation.Code != tc.workstation {
				t.Errorf("got sub-centre %+v work station %+v", a.Subcentre, a.Workstation)
			}
			var ws []string
			for _, w := range a.Workers {
				ws = append(ws, w.ID)
			}
			if fmt.Sprint(ws) != fmt.Sprint(tc.workers) {
				t.Errorf("workers %v, want %v", ws, tc.workers)
			}
			want := geo.DistanceM(orb.Point{tc.lon, tc.lat}, orb.Point{a.Subcentre.Lon, a.Subcentre.Lat})
			if math.Abs(a.Subcentre.DistanceM-want) > 1e-6 {
				t.Errorf("sub-centre distance %v, want %v", a.Subcentre.DistanceM, want)
			}
			checkPatrols(t, b, d, tc.lon, tc.lat, 3, a.Patrols)
		})
	}
}

// checkPatrols compares patrols with a brute-force nearest search over the
// bundle's patrols at home, skipping those not available.
func checkPatrols(t *testing.T, b *bundle.Bundle, d *Directory, lon, lat float64, k int, got []PatrolRef, busy ...string) {
	t.Helper()
	type pd struct {
		id string
		m  float64
	}
	var all []pd
	for _, p := range b.Patrols {
		skip := false
		for _, x := range busy {
			skip = skip || x == p.ID
		}
		if !skip {
			all = append(all, pd{p.ID, geo.DistanceM(orb.Point{lon, lat}, p.Loc)})
		}
	}
	for i := range all { // insertion sort by distance, then id
		for j := i; j > 0 && (all[j].m < all[j-1].m || all[j].m == all[j-1].m && all[j].id < all[j-1].id); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	if len(all) > k {
		all = all[:k]
	}
	if len(got) != len(all) {
		t.Fatalf("got %d patrols, want %d", len(got), len(all))
	}
	for i, p := range got {
		meta, _ := d.Patrol(p.ID)
		if p.ID != all[i].id || math.Abs(p.DistanceM-all[i].m) > 0.01 || p.Callsign != meta.Callsign || p.Street != meta.Street || p.Callsign == "" {
			t.Errorf("patrol %d: got %+v, want %s at %.2f m", i, p, all[i].id, all[i].m)
		}
	}
}

func TestLocateInvalid(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		lon, lat float64
		k        int
		field    string
	}{
		{"NaN lon", math.NaN(), 32.1, 3, "lon"},
		{"NaN lat", 118.6, math.NaN(), 3, "lat"},
		{"+Inf lon", math.Inf(1), 32.1, 3, "lon"},
		{"-Inf lat", 118.6, math.Inf(-1), 3, "lat"},
		{"lon out of range", 181, 32.1, 3, "lon"},
		{"lat out of range", 118.6, -90.5, 3, "lat"},
		{"negative k", 118.605, 32.105, -1, "k"},
		{"k too large", 118.605, 32.105, MaxPatrols + 1, "k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := d.Locate(tc.lon, tc.lat, tc.k)
			e, ok := errs.As(err)
			if a != nil || !ok || e.Code != errs.Invalid || e.Field != tc.field {
				t.Fatalf("got %v, %v; want invalid on %s", a, err, tc.field)
			}
		})
	}
	t.Run("k bounds accepted", func(t *testing.T) {
		for _, k := range []int{0, MaxPatrols} {
			a, err := d.Locate(118.605, 32.105, k)
			if err != nil || a.Patrols == nil || len(a.Patrols) > k {
				t.Errorf("k=%d: %v, %v", k, a, err)
			}
		}
	})
}

func TestLocateOutside(t *testing.T) {
	b, grids := smallDistrict()
	for _, tc := range []struct {
		name     string
		grids    []gridplan.Grid
		lon, lat float64
		grid     bundle.GridCode
		comm     bundle.CommunityCode
		edge     orb.Point // nearest boundary point, worked out by hand
	}{
		{"east of the district", grids, 118.65, 32.105, "320111002002002", "320111002002", orb.Point{118.64, 32.105}},
		{"south of the first grid", grids, 118.601, 32.09, "320111001001001", "320111001001", orb.Point{118.601, 32.10}},
		{"no plan: nearest community", nil, 118.59, 32.105, "", "320111001001", orb.Point{118.60, 32.105}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDirectory(b, tc.grids, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Locate(tc.lon, tc.lat, 3)
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("got %v, want not found", err)
			}
			var oe *OutsideError
			if !errors.As(err, &oe) {
				t.Fatalf("got %T, want *OutsideError", err)
			}
			want := geo.DistanceM(orb.Point{tc.lon, tc.lat}, tc.edge)
			if oe.NearestGrid != tc.grid || oe.NearestCommunity != tc.comm || math.Abs(oe.DistanceM-want) > 0.01*want {
				t.Errorf("got %+v, want grid %q community %s at %.0f m", oe, tc.grid, tc.comm, want)
			}
			if !strings.Contains(err.Error(), "outside the district") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestNoPlan(t *testing.T) {
	b, _ := smallDistrict()
	d, err := NewDirectory(b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Locate(118.605, 32.105, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Grid != nil || a.Community.Code != "320111001001" || len(a.Workers) != 5 || d.HasPlan() {
		t.Errorf("got grid %v community %s %d workers", a.Grid, a.Community.Code, len(a.Workers))
	}
	js, _ := json.Marshal(a)
	if strings.Contains(string(js), `"grid"`) {
		t.Errorf("grid present without a plan: %s", js)
	}
}

func TestAnswerJSON(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Locate(118.601, 32.105, 1)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{`"street":{"code":"320111001","name":`, `"community":{"code":"320111001001","name":`, `"kind":"urban"`,
		`"grid":{"code":"320111001001001","households":400}`, `"subcentre":{"code":"SC1"`, `"distance_m":`,
		`"workstation":{"code":"WS001001"`, `"workers":[{"id":"001001-w1","name":"Worker 1"}`, `"patrols":[{"id":"P1","callsign":"Pukou-1","street":"320111001","distance_m":`}
	at := 0
	for _, k := range keys {
		i := strings.Index(string(js[at:]), k)
		if i < 0 {
			t.Fatalf("%s not found in order in %s", k, js)
		}
		at += i
	}
	a, err = d.Locate(118.601, 32.105, 0)
	if err != nil {
		t.Fatal(err)
	}
	if js, _ := json.Marshal(a); !strings.Contains(string(js), `"patrols":[]`) {
		t.Errorf("k=0 should give an empty list: %s", js)
	}
}

func TestAnswersAreIndependent(t *testing.T) {
	b, grids := smallDistrict()
	d, _ := NewDirectory(b, grids, nil)
	a1, _ := d.Locate(118.601, 32.105, 1)
	a1.Workers = append(a1.Workers, WorkerRef{ID: "appended"})
	a1.Grid.Households = -1
	a1.Subcentre.Name = "changed"
	a1.Patrols[0].ID = "changed"
	a2, _ := d.Locate(118.601, 32.105, 1)
	if len(a2.Workers) != 2 || a2.Grid.Households == -1 || a2.Subcentre.Name == "changed" || a2.Patrols[0].ID == "changed" {
		t.Error("editing one answer changed the directory")
	}
}

func TestWorkerDealIsDeterministic(t *testing.T) {
	b, grids := smallDistrict()
	d1, _ := NewDirectory(b, grids, nil)
	seed := uint64(11)
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	r.Shuffle(len(grids), func(i, j int) { grids[i], grids[j] = grids[j], grids[i] })
	r.Shuffle(len(b.Workers), func(i, j int) { b.Workers[i], b.Workers[j] = b.Workers[j], b.Workers[i] })
	d2, _ := NewDirectory(b, grids, nil)
	for code, g1 := range d1.grids {
		if fmt.Sprint(g1.workers) != fmt.Sprint(d2.grids[code].workers) {
			t.Errorf("grid %s: %v vs %v after shuffling input", code, g1.workers, d2.grids[code].workers)
		}
	}
	// every worker is dealt exactly once
	n := 0
	for _, g := range d1.grids {
		n += len(g.workers)
	}
	if n != len(b.Workers) {
		t.Errorf("%d workers dealt, bundle has %d", n, len(b.Workers))
	}
}

func TestSetUnit(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	const lon, lat = 118.602, 32.102
	if err := d.SetUnit("P1", 118.601, 32.101, geo.UnitBusy); err != nil {
		t.Fatal(err)
	}
	a, _ := d.Locate(lon, lat, 2)
	checkPatrols(t, b, d, lon, lat, 2, a.Patrols, "P1")
	if err := d.SetUnit("P1", 118.601, 32.101, geo.UnitAvailable); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Locate(lon, lat, 2)
	checkPatrols(t, b, d, lon, lat, 2, a.Patrols)
	// moved far away: no longer nearest
	if err := d.SetUnit("P1", 118.70, 32.20, geo.UnitAvailable); err != nil {
		t.Fatal(err)
	}
	if a, _ = d.Locate(lon, lat, 1); a.Patrols[0].ID == "P1" {
		t.Errorf("moved patrol still nearest: %+v", a.Patrols)
	}
	for _, tc := range []struct {
		name     string
		id       string
		lon, lat float64
		st       geo.UnitStatus
		code     errs.Code
		field    string
	}{
		{"unknown patrol", "P99", 118.6, 32.1, geo.UnitAvailable, errs.NotFound, "id"},
		{"NaN", "P1", math.NaN(), 32.1, geo.UnitAvailable, errs.Invalid, "lon"},
		{"bad status", "P1", 118.6, 32.1, 0, errs.Invalid, "status"},
		{"bad status high", "P1", 118.6, 32.1, 9, errs.Invalid, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := d.SetUnit(tc.id, tc.lon, tc.lat, tc.st)
			if e, ok := errs.As(err); !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want %s on %s", err, tc.code, tc.field)
			}
		})
	}
	p, err := d.Patrol("P3")
	if err != nil || p.Callsign != "Pukou-3" || p.Street != "320111002" {
		t.Errorf("Patrol(P3) = %+v, %v", p, err)
	}
	if _, err := d.Patrol("nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Patrol(nope): %v", err)
	}
}

func TestNewDirectoryRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid
		want string
	}{
		{"grid of unknown community", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid {
			g[0].Community = "320111009009"
			return g
		}, "unknown community"},
		{"grid code not under its community", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid {
			g[0].Code = "320111002001009"
			return g
		}, "not a code under"},
		{"duplicate grid", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid { return append(g, g[0]) }, "duplicate grid"},
		{"worker of unknown community", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid {
			b.Workers[0].Community = "320111009009"
			return g
		}, "unknown community"},
		{"community of unknown street", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid {
			b.Communities[3].Street = "320111009"
			return g
		}, "unknown street"},
		{"no communities", func(b *bundle.Bundle, g []gridplan.Grid) []gridplan.Grid {
			b.Communities, b.Workers = nil, nil
			return nil
		}, "no communities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, g := smallDistrict()
			g = tc.edit(b, g)
			_, err := NewDirectory(b, g, nil)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(fmt.Sprint(errors.Unwrap(err)), tc.want) && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want invalid mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := NewDirectory(nil, nil, nil); !errs.Is(err, errs.Invalid) {
		t.Errorf("nil bundle: %v", err)
	}
}

// TestOutsideAnswersUnchanged: for points outside the district the
// boundary index names the same nearest grid at the same distance as the
// raster search it replaced (PolygonIndex.Nearest), with and without a
// plan, near the district and far away.
func TestOutsideAnswersUnchanged(t *testing.T) {
	bun, grids := pukou(t)
	for name, gs := range map[string][]gridplan.Grid{"plan": grids, "no plan": nil} {
		t.Run(name, func(t *testing.T) {
			d, err := NewDirectory(bun, gs, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, nearOut, farOut := outsideAndInside(t, d, bun)
			n := 0
			for _, p := range append(nearOut[:500], farOut[:100]...) {
				_, err := d.Locate(p[0], p[1], 0)
				var oe *OutsideError
				if !errors.As(err, &oe) {
					t.Fatalf("%v: %v, want an OutsideError", p, err)
				}
				i, dist := d.nearOf.Nearest(p[0], p[1])
				code := d.nearOf.Area(i).Code
				got := string(oe.NearestGrid)
				if len(gs) == 0 {
					got = string(oe.NearestCommunity)
				}
				if got != code || oe.DistanceM != dist {
					t.Fatalf("%v: nearest %s at %v m, the raster search says %s at %v m", p, got, oe.DistanceM, code, dist)
				}
				n++
			}
			t.Logf("%d outside points agree", n)
		})
	}
}
