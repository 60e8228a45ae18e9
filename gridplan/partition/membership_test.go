package partition_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// edgeBundle is a 3 × 2 tiling of rectangular urban communities (about
// 950 × 1,100 m each) with random buildings inside and, deliberately,
// buildings exactly on the edges the communities share, on the vertices
// where four meet, and on the district's outer boundary and corners.
func edgeBundle(seed int64) *bundle.Bundle {
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	xs := []float64{118.70, 118.71, 118.72, 118.73}
	ys := []float64{32.10, 32.11, 32.12}
	rect := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	all := orb.MultiPolygon{rect(xs[0], ys[0], xs[3], ys[2])}
	b := &bundle.Bundle{
		District: bundle.District{Code: "320888", Name: "Edges", Geom: all},
		Streets:  []bundle.Street{{Code: "320888001", Name: "Edge Street", Geom: all}},
	}
	n := 0
	for r := 0; r+1 < len(ys); r++ {
		for c := 0; c+1 < len(xs); c++ {
			n++
			code := bundle.CommunityCode(fmt.Sprintf("320888001%03d", n))
			b.Communities = append(b.Communities, bundle.Community{Code: code, Name: string(code), Street: "320888001", Kind: bundle.Urban,
				Geom: orb.MultiPolygon{rect(xs[c], ys[r], xs[c+1], ys[r+1])}})
		}
	}
	id := int64(1)
	add := func(p orb.Point, h int) {
		b.Buildings = append(b.Buildings, bundle.Building{ID: bundle.BuildingID(fmt.Sprintf("E%07d", id)), Loc: p, Households: h, Address: fmt.Sprintf("Edge Road %d", id)})
		id++
	}
	// Inside: about 1,400 households a community (three grids).
	for _, cm := range b.Communities {
		bd := cm.Geom.Bound()
		for h := 0; h < 1400; {
			p := round7(orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])})
			k := 10 + rng.IntN(40)
			add(p, k)
			h += k
		}
	}
	// On every vertical and horizontal line of the tiling (shared edges
	// and the outer boundary), at random places and at every vertex.
	for _, x := range xs {
		for i := 0; i < 12; i++ {
			add(orb.Point{x, round7(orb.Point{0, ys[0] + rng.Float64()*(ys[2]-ys[0])})[1]}, 5+rng.IntN(20))
		}
		for _, y := range ys {
			add(orb.Point{x, y}, 7)
		}
	}
	for _, y := range ys {
		for i := 0; i < 12; i++ {
			add(orb.Point{round7(orb.Point{xs[0] + rng.Float64()*(xs[3]-xs[0]), 0})[0], y}, 5+rng.IntN(20))
		}
	}
	return b
}

// locatedCounts is what /locate answers for every building, summed per
// grid: the dispatch Directory over the bundle and the plan's grids.
func locatedCounts(t *testing.T, b *bundle.Bundle, grids []gridplan.Grid) map[bundle.GridCode]int {
	t.Helper()
	d, err := dispatch.NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[bundle.GridCode]int{}
	for _, bl := range b.Buildings {
		a, err := d.Locate(bl.Loc[0], bl.Loc[1], 0)
		if err != nil {
			t.Fatalf("building %s at %v: %v", bl.ID, bl.Loc, err)
		}
		if a.Grid == nil {
			t.Fatalf("building %s at %v: /locate finds no grid", bl.ID, bl.Loc)
		}
		got[a.Grid.Code] += bl.Households
	}
	return got
}

// gridVertices returns every distinct vertex of the grids' rings and the
// midpoint of every edge (rounded to 1e-7, which may put it a hair off
// the edge: the tie rule must agree either way).
func gridVertices(grids []gridplan.Grid) []orb.Point {
	seen := map[orb.Point]bool{}
	var out []orb.Point
	put := func(p orb.Point) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, g := range grids {
		for _, poly := range g.Geom {
			for _, ring := range poly {
				for i := 0; i+1 < len(ring); i++ {
					put(ring[i])
					put(round7(orb.Point{(ring[i][0] + ring[i+1][0]) / 2, (ring[i][1] + ring[i+1][1]) / 2}))
				}
			}
		}
	}
	return out
}

// TestMembershipOneRule: the plan's household counts equal what /locate
// answers for buildings placed exactly on shared community edges and
// vertices (first plan) and on the vertices and edge midpoints of the
// grids themselves (second plan, the first plan's grids locked and the
// new buildings added); bundle check places every such building in a
// community, and no household is counted twice or lost.
func TestMembershipOneRule(t *testing.T) {
	ctx := context.Background()
	b := edgeBundle(3)
	for _, p := range bundle.Check(b) {
		if strings.Contains(p.Error(), "outside every community") {
			t.Errorf("bundle check: %v", p)
		}
	}
	plan, _, err := partition.Plan(ctx, b, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	compare := func(name string, b *bundle.Bundle, grids []gridplan.Grid) {
		t.Helper()
		want := locatedCounts(t, b, grids)
		total := 0
		for _, g := range grids {
			total += g.Households
			if g.Households != want[g.Code] {
				t.Errorf("%s: grid %s: plan counts %d households, /locate places %d there", name, g.Code, g.Households, want[g.Code])
			}
		}
		if total != b.Households() {
			t.Errorf("%s: grids hold %d households, the bundle %d", name, total, b.Households())
		}
	}
	compare("community edges", b, plan.Grids)
	if len(plan.Grids) < 12 {
		t.Fatalf("%d grids; the test wants several grids a community", len(plan.Grids))
	}

	// Buildings on the grids' own vertices and edges, the grids locked so
	// that the shapes stay those the buildings were placed on.
	b2 := *b
	b2.Buildings = append([]bundle.Building(nil), b.Buildings...)
	id := int64(len(b.Buildings) + 1)
	onGrid := 0
	for _, p := range gridVertices(plan.Grids) {
		b2.Buildings = append(b2.Buildings, bundle.Building{ID: bundle.BuildingID(fmt.Sprintf("V%07d", id)), Loc: p, Households: 1 + int(id%5), Address: fmt.Sprintf("Vertex Road %d", id)})
		id++
		onGrid++
	}
	if onGrid < 1000 {
		t.Fatalf("only %d grid vertices and midpoints", onGrid)
	}
	p := gridplan.DefaultParams()
	p.Locked = plan.Grids
	plan2, _, err := partition.Plan(ctx, &b2, p)
	if err != nil {
		t.Fatal(err)
	}
	compare("grid vertices and edges", &b2, plan2.Grids)
}
