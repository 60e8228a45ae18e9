package partition_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

func TestGridCount(t *testing.T) {
	cases := []struct {
		h, target, want int
	}{
		{0, 500, 1},
		{-5, 500, 1},
		{120, 500, 1},
		{666, 500, 1},  // 666 is closer to 500 than 333 is
		{667, 500, 2},  // the k=1→2 switch is at 2·500·1·2/3 ≈ 666.7, not 750
		{1199, 500, 2}, // 599.5 is 99.5 off, 399.7 is 100.3 off
		{1201, 500, 3}, // the k=2→3 switch is at 2·500·2·3/5 = 1200, not 1250
		{1500, 500, 3},
		{3000, 300, 10},
		{3149, 300, 11}, // switch at 2·300·10·11/21 ≈ 3142.9: 286.3 is 13.7 off, 314.9 is 14.9 off
		{3142, 300, 10},
		{500, 0, 1},
	}
	for _, c := range cases {
		if got := partition.GridCount(c.h, c.target); got != c.want {
			t.Errorf("GridCount(%d, %d) = %d, want %d", c.h, c.target, got, c.want)
		}
	}
}

// pukouResult runs the Pukou partition once per test binary: it is the
// expensive part of the suite (several seconds, ×5-10 under -race).
var pukouResult = sync.OnceValues(func() (*pukouRun, error) {
	b, err := fixtures.LoadPukou()
	if err != nil {
		return nil, err
	}
	plan, rep, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		return nil, err
	}
	return &pukouRun{b, plan, rep}, nil
})

type pukouRun struct {
	b    *bundle.Bundle
	plan *gridplan.Plan
	rep  *partition.Report
}

func pukou(t *testing.T) *pukouRun {
	t.Helper()
	r, err := pukouResult()
	if err != nil {
		t.Fatalf("Pukou partition: %v", err)
	}
	return r
}

func TestPartitionPukouPostGIS(t *testing.T) {
	r := pukou(t)
	t.Logf("Pukou: %d grids in %.1f s, %.1f%% within ±10%% of mean, median PP %.3f",
		r.rep.Grids, r.rep.Seconds, 100*r.rep.WithinCommunityMeanShare, r.rep.MedianPolsbyPopper)
	if r.rep.Grids < 650 || r.rep.Grids > 800 {
		t.Errorf("%d grids, want about 719", r.rep.Grids)
	}
	checkWithPostGIS(t, r.b, r.plan.Grids, r.rep, minMedianPP)
}

// TestCommittedPlan: fixtures/pukou/plan.geojson is the seed-1 plan of the
// committed bundle (regenerate with the command in gridplan/README.md).
func TestCommittedPlan(t *testing.T) {
	r := pukou(t)
	want, err := fs.ReadFile(fixtures.PukouFS(), "plan.geojson")
	if err != nil {
		t.Fatalf("committed plan: %v", err)
	}
	if got := planBytes(t, r.plan.Grids); !bytes.Equal(got, want) {
		t.Errorf("fixtures/pukou/plan.geojson (%d bytes) is not Partition(seed 1) of the committed bundle (%d bytes); regenerate it", len(want), len(got))
	}
	grids, err := gridplan.ReadGeoJSON(bytes.NewReader(want))
	if err != nil || len(grids) != r.rep.Grids {
		t.Errorf("committed plan reads back as %d grids, %v", len(grids), err)
	}
}

func TestPartitionTwoIslandsPostGIS(t *testing.T) {
	const seed = 3
	t.Logf("bundle seed %d", seed)
	b := genBundle(seed)
	plan, rep, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	checkWithPostGIS(t, b, plan.Grids, rep, minMedianPP)
	// Grid counts follow GridCount, and the virtual community is one grid.
	// A building too big for a grid gets one of its own.
	per := map[bundle.CommunityCode]int{}
	hh := map[bundle.CommunityCode]int{}
	own := map[bundle.CommunityCode]int{}
	for _, g := range rep.PerGrid {
		per[g.Community]++
		if g.OwnBuilding {
			own[g.Community]++
			if g.Households < bigTower {
				t.Errorf("own-building grid %s has %d households, want the tower's %d at least", g.Code, g.Households, bigTower)
			}
			continue
		}
		hh[g.Community] += g.Households
	}
	if rep.OwnBuildingGrids != 1 || own["320999002001"] != 1 {
		t.Errorf("%d own-building grids (%v), want 1 in 320999002001", rep.OwnBuildingGrids, own)
	}
	for _, c := range b.Communities {
		want := own[c.Code]
		if hh[c.Code] > 0 || want == 0 {
			target := gridplan.DefaultParams().UrbanTarget
			if c.Kind == bundle.Rural {
				target = gridplan.DefaultParams().RuralTarget
			}
			want += partition.GridCount(hh[c.Code], target)
		}
		if per[c.Code] != want {
			t.Errorf("community %s (%s, %d households): %d grids, want %d", c.Code, c.Kind, hh[c.Code], per[c.Code], want)
		}
	}
	// The two-part community's grids are shared among its parts: every
	// part is covered (the PostGIS union check) and some grid lies in each.
	var twoPart *bundle.Community
	for i := range b.Communities {
		if len(b.Communities[i].Geom) == 2 {
			twoPart = &b.Communities[i]
		}
	}
	for pi, part := range twoPart.Geom {
		found := false
		for _, g := range plan.Grids {
			if g.Community == twoPart.Code && planar.PolygonContains(part, g.Geom[0][0][0]) || g.Community == twoPart.Code && intersectsPart(g.Geom, part) {
				found = true
			}
		}
		if !found {
			t.Errorf("no grid of %s in its part %d", twoPart.Code, pi)
		}
	}
}

func intersectsPart(mp orb.MultiPolygon, part orb.Polygon) bool {
	for _, p := range mp {
		c, _ := planar.CentroidArea(p)
		if planar.PolygonContains(part, c) {
			return true
		}
	}
	return false
}

func TestPartitionCodes(t *testing.T) {
	r := pukou(t)
	seen := map[bundle.GridCode]bool{}
	perComm := map[bundle.CommunityCode][]gridplan.Grid{}
	for _, g := range r.plan.Grids {
		if seen[g.Code] {
			t.Errorf("code %s twice", g.Code)
		}
		seen[g.Code] = true
		if g.Code.Community() != g.Community || g.Community.Street() != g.Street {
			t.Errorf("grid %s: community %s street %s do not nest", g.Code, g.Community, g.Street)
		}
		perComm[g.Community] = append(perComm[g.Community], g)
	}
	// Sequences are 1..k in reading order: rows north to south (a row
	// starts where a centroid is more than half a typical grid side south
	// of the row's first), west to east within a row.
	for code, gs := range perComm {
		c, _ := r.b.Community(code)
		half := math.Sqrt(geo.AreaM2(c.Geom)/float64(len(gs))) / 110540 / 2
		type at struct {
			code bundle.GridCode
			ct   orb.Point
			row  int
		}
		var want []at
		for i, g := range gs {
			if g.Code.Seq() != i+1 {
				t.Errorf("community %s: grid %d has sequence %d", code, i, g.Code.Seq())
			}
			ct, _ := planar.CentroidArea(g.Geom)
			want = append(want, at{g.Code, ct, 0})
		}
		sort.Slice(want, func(i, j int) bool { return want[i].ct[1] > want[j].ct[1] })
		row, top := 0, want[0].ct[1]
		for i := range want {
			if top-want[i].ct[1] > half {
				row, top = row+1, want[i].ct[1]
			}
			want[i].row = row
		}
		sort.SliceStable(want, func(i, j int) bool {
			if want[i].row != want[j].row {
				return want[i].row < want[j].row
			}
			return want[i].ct[0] < want[j].ct[0]
		})
		for i := range want {
			if want[i].code != gs[i].Code {
				t.Errorf("community %s: position %d holds %s, reading order wants %s", code, i+1, gs[i].Code, want[i].code)
				break
			}
		}
	}
}

func TestPartitionReport(t *testing.T) {
	r := pukou(t)
	rep := r.rep
	if rep.ContiguousShare != 1 {
		t.Errorf("contiguous share %.3f, want 1", rep.ContiguousShare)
	}
	if rep.Households != r.b.Households()-unplacedHouseholds(r.b) {
		t.Errorf("report households %d, bundle %d", rep.Households, r.b.Households())
	}
	var fromPlan map[string]any
	if err := json.Unmarshal(r.plan.Report, &fromPlan); err != nil {
		t.Fatalf("plan.Report is not JSON: %v", err)
	}
	for _, key := range []string{"grids", "within_community_mean_share", "within_nominal_share", "nominal_excluded_communities",
		"max_abs_deviation_pct", "median_polsby_popper", "p10_polsby_popper", "contiguous_share", "seconds", "per_grid"} {
		if _, ok := fromPlan[key]; !ok {
			t.Errorf("report JSON lacks %q", key)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(buf.Bytes(), []byte("\n"))
	if lines < rep.Grids+10 {
		t.Errorf("table has %d lines for %d grids", lines, rep.Grids)
	}
	if !bytes.Contains(buf.Bytes(), []byte(string(r.plan.Grids[0].Code))) {
		t.Error("table does not list the first grid")
	}
}

func unplacedHouseholds(b *bundle.Bundle) int {
	n := 0
	for _, bl := range b.Buildings {
		in := false
		for _, c := range b.Communities {
			if planar.MultiPolygonContains(c.Geom, bl.Loc) {
				in = true
				break
			}
		}
		if !in {
			n += bl.Households
		}
	}
	return n
}

// TestPartitionStable: 5% more households in random buildings, re-planned
// from the previous plan, moves at most 10% of households to another grid.
func TestPartitionStable(t *testing.T) {
	r := pukou(t)
	const seed = 5
	t.Logf("growth seed %d", seed)
	b2 := grown(r.b, seed)
	p := gridplan.DefaultParams()
	p.Previous = r.plan.Grids
	plan2, rep2, err := partition.Plan(context.Background(), b2, p)
	if err != nil {
		t.Fatal(err)
	}
	moved, total := 0, 0
	before, after := newGridFinder(r.plan.Grids), newGridFinder(plan2.Grids)
	for _, bl := range b2.Buildings {
		a, okA := before.find(bl.Loc)
		c, okC := after.find(bl.Loc)
		if !okA && !okC {
			continue
		}
		total += bl.Households
		if a != c {
			moved += bl.Households
		}
	}
	share := float64(moved) / float64(total)
	t.Logf("warm re-plan: %.2f%% of households changed grid; %.1f%% within ±10%% of mean; %d grids (was %d)",
		100*share, 100*rep2.WithinCommunityMeanShare, rep2.Grids, r.rep.Grids)
	if share > 0.10 {
		t.Errorf("%.1f%% of households changed grid, want ≤ 10%%", 100*share)
	}
	if rep2.WithinCommunityMeanShare < minWithinMean {
		t.Errorf("warm plan: %.3f within ±10%% of mean, want ≥ %.2f", rep2.WithinCommunityMeanShare, minWithinMean)
	}
	if rep2.ContiguousShare != 1 {
		t.Errorf("warm plan: contiguous share %.3f", rep2.ContiguousShare)
	}
}

type gridFinder struct {
	grids  []gridplan.Grid
	bounds []orb.Bound
}

func newGridFinder(grids []gridplan.Grid) *gridFinder {
	f := &gridFinder{grids: grids}
	for _, g := range grids {
		f.bounds = append(f.bounds, g.Geom.Bound())
	}
	return f
}

func (f *gridFinder) find(p orb.Point) (bundle.GridCode, bool) {
	for i, g := range f.grids {
		if f.bounds[i].Contains(p) && planar.MultiPolygonContains(g.Geom, p) {
			return g.Code, true
		}
	}
	return "", false
}

func planBytes(t *testing.T, grids []gridplan.Grid) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, grids); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPartitionDeterministic: the same seed gives the same plan whatever
// the number of workers; another seed gives another plan.
func TestPartitionDeterministic(t *testing.T) {
	b := genBundle(1)
	p := gridplan.DefaultParams()
	a, _, err := partition.Plan(context.Background(), b, p)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	a1, _, err := partition.Plan(context.Background(), b, p)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(planBytes(t, a.Grids), planBytes(t, a1.Grids)) {
		t.Error("same seed, different plan with GOMAXPROCS=1")
	}
	p.Seed = 2
	c, _, err := partition.Plan(context.Background(), b, p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(planBytes(t, a.Grids), planBytes(t, c.Grids)) {
		t.Error("seeds 1 and 2 gave the same plan")
	}
}

// TestPartitionLocked: locked grids come back unchanged and the rest of
// their community is still tiled (PostGIS checks the tiling).
func TestPartitionLocked(t *testing.T) {
	b := genBundle(2)
	plan, _, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var locked []gridplan.Grid
	for _, g := range plan.Grids {
		if g.Community == "320999001001" && len(locked) < 2 {
			locked = append(locked, g)
		}
	}
	p := gridplan.DefaultParams()
	p.Seed = 9
	p.Locked = locked
	plan2, rep2, err := partition.Plan(context.Background(), b, p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[bundle.GridCode]gridplan.Grid{}
	for _, g := range plan2.Grids {
		got[g.Code] = g
	}
	for _, l := range locked {
		g, ok := got[l.Code]
		if !ok {
			t.Errorf("locked grid %s is gone", l.Code)
			continue
		}
		if !bytes.Equal(planBytes(t, []gridplan.Grid{l}), planBytes(t, []gridplan.Grid{g})) {
			t.Errorf("locked grid %s changed", l.Code)
		}
	}
	// Two grids locked from another seed's plan constrain the shapes of
	// their community's other grids; compactness is checked on the free
	// plans (the tests above), tiling and balance here.
	checkWithPostGIS(t, b, plan2.Grids, rep2, 0.40)
}

func TestPartitionRejects(t *testing.T) {
	good := genBundle(1)
	nan := genBundle(1)
	nan.Communities[0].Geom = orb.MultiPolygon{{{{1, 1}, {math.NaN(), 1}, {2, 2}, {1, 1}}}}
	dup := genBundle(1)
	dup.Communities[1].Code = dup.Communities[0].Code
	stray := gridplan.DefaultParams()
	stray.Locked = []gridplan.Grid{{Code: "320888001001001", Community: "320888001001", Geom: orb.MultiPolygon{{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}}}}
	cases := []struct {
		name string
		b    *bundle.Bundle
		p    gridplan.Params
		want string
	}{
		{"nil bundle", nil, gridplan.DefaultParams(), "bundle"},
		{"no communities", &bundle.Bundle{}, gridplan.DefaultParams(), "no communities"},
		{"zero target", good, gridplan.Params{UrbanTarget: 0, RuralTarget: 300, TolerancePct: 10}, "targets"},
		{"bad tolerance", good, gridplan.Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: math.NaN()}, "tolerance"},
		{"negative refine share", good, gridplan.Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: 10, RefineSharePct: -1}, "refine_share_pct"},
		{"refine share of 100%", good, gridplan.Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: 10, RefineSharePct: 100}, "refine_share_pct"},
		{"nan refine share", good, gridplan.Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: 10, RefineSharePct: math.NaN()}, "refine_share_pct"},
		{"nan community", nan, gridplan.DefaultParams(), "not finite"},
		{"duplicate community", dup, gridplan.DefaultParams(), "twice"},
		{"locked grid of unknown community", good, stray, "unknown community"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, rep, err := partition.Plan(context.Background(), c.b, c.p)
			if !errs.Is(err, errs.Invalid) || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Fatalf("err = %v, want Invalid mentioning %q", err, c.want)
			}
			if plan != nil || rep != nil {
				t.Error("plan or report returned with an error")
			}
		})
	}
}

func TestPartitionCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := partition.Plan(ctx, genBundle(1), gridplan.DefaultParams())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
