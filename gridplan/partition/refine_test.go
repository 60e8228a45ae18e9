package partition

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// cluster returns n points around c, spacingM apart on a line, each of h
// households.
func cluster(c orb.Point, n int, spacingM float64, h int) ([]orb.Point, []int) {
	pts := make([]orb.Point, n)
	hh := make([]int, n)
	for i := range pts {
		dx := (float64(i) - float64(n-1)/2) * spacingM / (111320 * math.Cos(c[1]*math.Pi/180))
		pts[i] = orb.Point{c[0] + dx, c[1]}
		hh[i] = h
	}
	return pts, hh
}

// maxPerCell is the heaviest cell at res holding more than one point.
func maxMultiCell(pts []orb.Point, hh []int, res int) int {
	sum := map[h3.Cell]int{}
	n := map[h3.Cell]int{}
	for i, p := range pts {
		c := cellOf(p, res)
		sum[c] += hh[i]
		n[c]++
	}
	worst := 0
	for c, s := range sum {
		if n[c] > 1 {
			worst = max(worst, s)
		}
	}
	return worst
}

// TestRefineHeavyCell: five towers of 200 households 6 m apart in a 2 ha estate share a
// resolution-11 cell (1,000 households, twice the target); refinement
// goes finer until no cell of several towers holds more than 10 % of the
// target (50 households), i.e. every tower has a cell of its own.
func TestRefineHeavyCell(t *testing.T) {
	c := orb.Point{118.63, 32.06}
	pts, hh := cluster(c, 5, 6, 200)
	if got := maxMultiCell(pts, hh, urbanRes); got < 400 {
		t.Fatalf("fixture: the towers should share a res-11 cell, heaviest shared cell holds %d", got)
	}
	if heavyCells(pts, hh, urbanRes, 50) == 0 {
		t.Fatal("heavyCells finds no heavy cell at res 11")
	}
	res := refineRes(pts, hh, urbanRes, 20000, 50) // a 2 ha estate

	if res <= urbanRes {
		t.Fatalf("refineRes = %d, want finer than %d", res, urbanRes)
	}
	if got := maxMultiCell(pts, hh, res); got > 50 {
		t.Errorf("at res %d a cell of several towers still holds %d households", res, got)
	}
	if heavyCells(pts, hh, res, 50) != 0 {
		t.Errorf("heavyCells at res %d = %d, want 0", res, heavyCells(pts, hh, res, 50))
	}
	// The coarser step before it still had a heavy cell: refinement stops
	// at the first resolution that separates them, not beyond.
	if heavyCells(pts, hh, res-1, 50) == 0 {
		t.Errorf("res %d already separates the towers; refineRes went to %d", res-1, res)
	}
}

// TestRefineLightCell: five low houses of 8 households (40, under 10 % of
// a 500 target) in one cell, and one tower of 240 alone in its cell, are
// left at the community's resolution.
func TestRefineLightCell(t *testing.T) {
	c := orb.Point{118.63, 32.06}
	pts, hh := cluster(c, 5, 6, 8)
	tower := orb.Point{118.64, 32.07}
	pts = append(pts, tower)
	hh = append(hh, 240)
	if got := refineRes(pts, hh, urbanRes, 1e6, 50); got != urbanRes {
		t.Errorf("refineRes = %d, want %d (no cell of several buildings over 50 households)", got, urbanRes)
	}
	// Two points at one location can never be separated: not refined.
	pts2 := []orb.Point{tower, tower}
	if got := refineRes(pts2, []int{200, 200}, urbanRes, 1e6, 50); got != urbanRes {
		t.Errorf("refineRes of two buildings at one point = %d, want %d", got, urbanRes)
	}
}

// TestRefineBudget: a heavy cell in a community so large that the finer
// table would exceed maxRefineCells is not refined (the cost stays near
// the coarse plan's).
func TestRefineBudget(t *testing.T) {
	c := orb.Point{118.63, 32.06}
	pts, hh := cluster(c, 5, 6, 200)
	area := 2 * maxRefineCells * h3.HexagonAreaAvgM2(urbanRes+1)
	if got := refineRes(pts, hh, urbanRes, area, 50); got != urbanRes {
		t.Errorf("refineRes in a %.0f m² community = %d, want %d (over the cell budget)", area, got, urbanRes)
	}
}
