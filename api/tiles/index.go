package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// gridIndex is a uniform grid over feature bounds: a tile query visits
// only the cells its bound covers. About one cell per feature keeps cells
// short for points (buildings) and small polygons (grids) alike, and needs
// no balancing; features larger than a cell are listed in every cell they
// cover.
type gridIndex struct {
	bound  orb.Bound
	nx, ny int
	cw, ch float64     // cell width and height in degrees
	start  []int32     // cell c holds items[start[c]:start[c+1]]
	items  []int32     // feature indexes
	fb     []orb.Bound // feature bounds
}

func newGridIndex(bounds []orb.Bound) *gridIndex {
	ix := &gridIndex{fb: bounds}
	if len(bounds) == 0 {
		return ix
	}
	ix.bound = bounds[0]
	for _, b := range bounds[1:] {
		ix.bound = ix.bound.Union(b)
	}
	side := int(math.Ceil(math.Sqrt(float64(len(bounds)))))
	side = max(1, min(side, 1024))
	ix.nx, ix.ny = side, side
	ix.cw = max(ix.bound.Max[0]-ix.bound.Min[0], 1e-9) / float64(side)
	ix.ch = max(ix.bound.Max[1]-ix.bound.Min[1], 1e-9) / float64(side)

	counts := make([]int32, side*side+1)
	for _, b := range bounds {
		x0, y0, x1, y1 := ix.cells(b)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				counts[y*side+x+1]++
			}
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	ix.start = counts
	ix.items = make([]int32, counts[len(counts)-1])
	fill := slices.Clone(counts[:len(counts)-1])
	for i, b := range bounds {
		x0, y0, x1, y1 := ix.cells(b)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				c := y*side + x
				ix.items[fill[c]] = int32(i)
				fill[c]++
			}
		}
	}
	return ix
}

// cells is the inclusive cell range b covers, clamped to the grid.
func (ix *gridIndex) cells(b orb.Bound) (x0, y0, x1, y1 int) {
	cl := func(v float64, n int) int {
		if v < 0 {
			return 0
		}
		if v >= float64(n) {
			return n - 1
		}
		return int(v)
	}
	x0 = cl((b.Min[0]-ix.bound.Min[0])/ix.cw, ix.nx)
	x1 = cl((b.Max[0]-ix.bound.Min[0])/ix.cw, ix.nx)
	y0 = cl((b.Min[1]-ix.bound.Min[1])/ix.ch, ix.ny)
	y1 = cl((b.Max[1]-ix.bound.Min[1])/ix.ch, ix.ny)
	return
}

// query appends to dst the indexes, ascending, of the features whose
// bound intersects q.
func (ix *gridIndex) query(q orb.Bound, dst []int) []int {
	if len(ix.fb) == 0 || !q.Intersects(ix.bound) {
		return dst
	}
	n0 := len(dst)
	qx0, qy0, qx1, qy1 := ix.cells(q)
	for y := qy0; y <= qy1; y++ {
		for x := qx0; x <= qx1; x++ {
			c := y*ix.nx + x
			for _, it := range ix.items[ix.start[c]:ix.start[c+1]] {
				fb := ix.fb[it]
				// A feature listed in several cells is reported only from
				// the first cell both it and the query cover, so no
				// "seen" set is needed.
				fx0, fy0, _, _ := ix.cells(fb)
				if max(fx0, qx0) != x || max(fy0, qy0) != y {
					continue
				}
				if fb.Intersects(q) {
					dst = append(dst, int(it))
				}
			}
		}
	}
	slices.Sort(dst[n0:])
	return dst
}
