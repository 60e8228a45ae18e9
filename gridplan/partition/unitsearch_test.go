package partition

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// TestUnitSearch: six towers in a row (250, 150, 250, 150, 250, 150
// households) on a refined estate, two grids of mean 600 (±10 %: 540–660)
// starting from a cut after the second tower (400 / 800, both out). The
// unit search must bring both grids within the tolerance, keep each
// connected, label every cell, and leave a labelling already within the
// tolerance alone.
func TestUnitSearch(t *testing.T) {
	region := orb.MultiPolygon{{{{118.700, 32.100}, {118.704, 32.100}, {118.704, 32.1012}, {118.700, 32.1012}, {118.700, 32.100}}}}
	var pts []orb.Point
	hh := []int{250, 150, 250, 150, 250, 150}
	for i := range hh {
		pts = append(pts, orb.Point{118.7004 + 0.00064*float64(i), 32.1006})
	}
	const res = 12
	tb := buildCells(region, res, pts)
	g := newGraph(tb)
	for i, p := range pts {
		g.w[tb.cells[tb.index[cellOf(p, res)]].node] += hh[i]
	}
	const k = 2
	g.fixed = make([]bool, k)
	label := make([]int32, g.n)
	split := (pts[1][0] + pts[2][0]) / 2
	for v := range label {
		if tb.cells[g.cells[v]].center[0] > split {
			label[v] = 1
		}
	}
	mean, tol := 600.0, 0.10
	if got := countOut(g.partWeights(label, k), g.fixed, mean, tol); got != 2 {
		t.Fatalf("start: %d grids out, want 2 (weights %v)", got, g.partWeights(label, k))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if !g.unitSearch(rng, label, k, mean, 0.001, tol) {
		t.Fatal("unit search changed nothing")
	}
	W := g.partWeights(label, k)
	for p, w := range W {
		if math.Abs(w-mean) > tol*mean {
			t.Errorf("grid %d: %v households, want within ±10 %% of %v", p, w, mean)
		}
		if !g.connected(label, int32(p)) {
			t.Errorf("grid %d is not connected", p)
		}
	}
	for v, l := range label {
		if l < 0 || l >= k {
			t.Fatalf("node %d labelled %d", v, l)
		}
	}
	if g.unitSearch(rng, label, k, mean, 0.001, tol) && countOut(g.partWeights(label, k), g.fixed, mean, tol) > 0 {
		t.Errorf("a balanced labelling got worse")
	}
}
