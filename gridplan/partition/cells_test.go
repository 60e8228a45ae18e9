package partition

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/internal/sfgeom"
)

func TestCellRes(t *testing.T) {
	cases := []struct {
		kind   bundle.Kind
		areaM2 float64
		k      int
		want   int
	}{
		{bundle.Urban, 2e6, 4, 11},    // 500,000 m² a grid: 230 cells at res 11
		{bundle.Rural, 5e6, 2, 10},    // villages start coarser
		{bundle.Urban, 200000, 6, 12}, // 33,000 m² a grid: 15 res-11 cells, 108 res-12
		{bundle.Urban, 20000, 6, 13},  // 3,300 m² a grid: res 13
		{bundle.Urban, 100, 6, 13},    // never finer than 13
		{bundle.Rural, 300000, 2, 11}, // 150,000 m² a grid: 10 res-10 cells
		{bundle.Virtual, 1e6, 1, 11},  // virtual zones plan like urban ones
	}
	for _, c := range cases {
		if got := cellRes(c.kind, c.areaM2, c.k); got != c.want {
			t.Errorf("cellRes(%s, %.0f, %d) = %d, want %d", c.kind, c.areaM2, c.k, got, c.want)
		}
	}
}

// TestUnionRings checks the edge-cancellation union against plain area
// sums: the table of a square with a lake, split among owners in stripes
// and in a ring around one cell, must give parts whose areas add up to the
// whole table, and a hole exactly where a part surrounds another.
func TestUnionRings(t *testing.T) {
	sq := orb.MultiPolygon{{
		{{118.70, 32.10}, {118.71, 32.10}, {118.71, 32.108}, {118.70, 32.108}, {118.70, 32.10}},
		{{118.704, 32.103}, {118.704, 32.105}, {118.706, 32.105}, {118.706, 32.103}, {118.704, 32.103}},
	}}
	tb := buildCells(sq, 11, nil)
	cellArea := func(i int) float64 {
		c := &tb.cells[i]
		var r orb.Ring
		for j := 0; j < 6; j++ {
			r = append(r, tb.verts[c.vx[j]])
		}
		r = append(r, r[0])
		return planar.Area(orb.Polygon{r})
	}
	area := func(mp orb.MultiPolygon) float64 { return planar.Area(mp) }
	all := make([]int32, len(tb.cells))
	total := 0.0
	for i := range tb.cells {
		all[i] = int32(i)
		total += cellArea(i)
	}
	for _, stripes := range []int{1, 3, 7} {
		owner := make([]int32, len(tb.cells))
		members := make([][]int32, stripes)
		for i, c := range tb.cells {
			o := int32(math.Floor((c.center[0] - 118.69) / 0.03 * float64(stripes)))
			o = min(max(o, 0), int32(stripes-1))
			owner[i] = o
			members[o] = append(members[o], int32(i))
		}
		sum := 0.0
		for p := 0; p < stripes; p++ {
			if len(members[p]) == 0 {
				continue
			}
			u := tb.unionRings(owner, int32(p), members[p], nil)
			sum += area(u)
			for _, poly := range u {
				for ri, r := range poly {
					if (sfgeom.SignedArea(r[:len(r)-1]) > 0) != (ri == 0) {
						t.Errorf("stripes %d part %d: ring %d has the wrong orientation", stripes, p, ri)
					}
				}
			}
		}
		if math.Abs(sum-total) > 1e-12*total+1e-15 {
			t.Errorf("stripes %d: parts add up to %g deg², cells to %g", stripes, sum, total)
		}
	}
	// One cell of part 1 in the middle of part 0: part 0 gets a hole and
	// holeFacing reports the cell; a hole with nothing of another part in
	// it (other() false everywhere) is no enclave.
	mid := int32(-1)
	for i, c := range tb.cells {
		if c.inside && c.center.Lon() > 118.701 && c.center.Lon() < 118.703 && c.center.Lat() > 32.104 && c.center.Lat() < 32.105 {
			mid = int32(i)
			break
		}
	}
	if mid < 0 {
		t.Fatal("no middle cell")
	}
	owner := make([]int32, len(tb.cells))
	owner[mid] = 1
	var zero []int32
	for i := range tb.cells {
		if int32(i) != mid {
			zero = append(zero, int32(i))
		}
	}
	// The whole table already has a hole: lake cells beyond the band are
	// not in it.
	whole := tb.unionRings(make([]int32, len(tb.cells)), 0, all, nil)
	u := tb.unionRings(owner, 0, zero, nil)
	if len(whole) != 1 || len(u) != 1 || len(u[0]) != len(whole[0])+1 {
		t.Fatalf("part around one cell: %d polygons, %d rings; the whole table %d polygons, %d rings; want one hole more",
			len(u), len(u[0]), len(whole), len(whole[0]))
	}
	if math.Abs(area(u)+cellArea(int(mid))-total) > 1e-12*total {
		t.Errorf("part with hole %g + cell %g != all %g", area(u), cellArea(int(mid)), total)
	}
	in := func(c int32) bool { return owner[c] == 0 }
	if f := tb.holeFacing(zero, in, func(c int32) bool { return owner[c] == 1 }); f != mid {
		t.Errorf("holeFacing = %d, want the middle cell %d", f, mid)
	}
	if f := tb.holeFacing(zero, in, func(int32) bool { return false }); f != -1 {
		t.Errorf("holeFacing with nothing else = %d, want -1", f)
	}
}
