package gridplan_test

import (
	"context"
	"io/fs"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/sfgeom"
)

// pukouEditCase is the committed Pukou plan and an urban grid of about
// 500 households with an adjacent grid of its community.
func pukouEditCase(b testing.TB) (*bundle.Bundle, *gridplan.Plan, gridplan.Grid, gridplan.Grid) {
	pb, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f.(fs.File))
	if err != nil {
		b.Fatal(err)
	}
	p := &gridplan.Plan{ID: 1, Name: "pukou", Status: gridplan.Draft, Params: gridplan.DefaultParams(), Grids: grids}
	best, bestD := -1, math.Inf(1)
	for i, g := range grids {
		if g.Kind != bundle.Urban {
			continue
		}
		if d := math.Abs(float64(g.Households - 500)); d < bestD {
			best, bestD = i, d
		}
	}
	g := grids[best]
	for _, n := range grids {
		if n.Community != g.Community || n.Code == g.Code {
			continue
		}
		if u, err := sfgeom.Union(g.Geom, n.Geom); err == nil && len(u) < len(g.Geom)+len(n.Geom) {
			return pb, p, g, n
		}
	}
	b.Skip("no neighbour")
	return nil, nil, g, g
}

// BenchmarkEditMergePukou: merge a ~500-household urban grid of Pukou with
// its neighbour, recount and validate the community.
func BenchmarkEditMergePukou(b *testing.B) {
	pb, p, g, n := pukouEditCase(b)
	e := gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{g.Code, n.Code}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEditSplitPukou: split the grid in two with the partitioner.
func BenchmarkEditSplitPukou(b *testing.B) {
	pb, p, g, _ := pukouEditCase(b)
	e := gridplan.Edit{Op: "split", Grid: g.Code, N: 2}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEditRedrawPukou: the grid takes the half of its neighbour's
// bounding box nearest it.
func BenchmarkEditRedrawPukou(b *testing.B) {
	pb, p, g, n := pukouEditCase(b)
	// The whole neighbour: it is left empty and removed.
	nb := n.Geom.Bound()
	poly := orb.Bound{Min: orb.Point{nb.Min[0] - 1e-6, nb.Min[1] - 1e-6}, Max: orb.Point{nb.Max[0] + 1e-6, nb.Max[1] + 1e-6}}.ToPolygon()
	e := gridplan.Edit{Op: "redraw", Grid: g.Code, Polygon: polygonJSON(b, poly)}
	if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
		b.Skipf("redraw refused on this grid: %v", err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEditLockPukou: a lock, which needs no recount.
func BenchmarkEditLockPukou(b *testing.B) {
	pb, p, g, _ := pukouEditCase(b)
	e := gridplan.Edit{Op: "lock", Grids: []bundle.GridCode{g.Code}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}

// pukouMoveCase is pukouEditCase with a move of up to three adjacent
// units of the ~500-household grid g on its edge with n into n, and the
// units of their community (derived from the committed plan's grids, as
// the store would hold them).
func pukouMoveCase(b *testing.B) (*bundle.Bundle, *gridplan.Plan, gridplan.Edit, []gridplan.Unit) {
	pb, p, g, n := pukouEditCase(b)
	us := communityUnits(b, pb, p, g.Community)
	edge := unitsOnEdge(us, &g, &n)
	if len(edge) == 0 {
		b.Skip("no unit on the edge")
	}
	first := edge[len(edge)/2]
	ids := []string{first.ID.String()}
	for _, u := range edge {
		if len(ids) < 3 && u.ID != first.ID && u.ID.Cell().IsNeighbor(first.ID.Cell()) {
			ids = append(ids, u.ID.String())
		}
	}
	return pb, p, gridplan.Edit{Op: "move", Units: ids, To: n.Code}, us
}

// BenchmarkEditMovePukou: move units of a ~500-household urban grid of
// Pukou into its neighbour, the units stored (Plan.Units holds the
// community's, as store.EditPlan reads them): union of the moved cells,
// two overlays, recount and validation of the community.
func BenchmarkEditMovePukou(b *testing.B) {
	pb, p, e, us := pukouMoveCase(b)
	q := *p
	q.Units = us
	if _, err := gridplan.ApplyEdit(context.Background(), &q, pb, e, partition.Grids); err != nil {
		b.Fatalf("move refused: %v", err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), &q, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEditMoveDerivedPukou: the same move on the plan without stored
// units (imported from a file): the community's units are derived first.
func BenchmarkEditMoveDerivedPukou(b *testing.B) {
	pb, p, e, _ := pukouMoveCase(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gridplan.ApplyEdit(context.Background(), p, pb, e, partition.Grids); err != nil {
			b.Fatal(err)
		}
	}
}
