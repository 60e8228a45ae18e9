package api

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// intersectsBound reports whether geometry g intersects the rectangle b
// (boundaries included), the OGC bbox semantics. Areas that merely have
// an overlapping bounding box but lie beside the rectangle do not match.
func intersectsBound(g orb.Geometry, b orb.Bound) bool {
	if g == nil || !g.Bound().Intersects(b) {
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g)
	case orb.MultiPoint:
		for _, p := range g {
			if b.Contains(p) {
				return true
			}
		}
		return false
	case orb.LineString:
		return lineIntersectsBound(g, b)
	case orb.MultiLineString:
		for _, l := range g {
			if lineIntersectsBound(l, b) {
				return true
			}
		}
		return false
	case orb.Ring:
		return polygonIntersectsBound(orb.Polygon{g}, b)
	case orb.Polygon:
		return polygonIntersectsBound(g, b)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonIntersectsBound(p, b) {
				return true
			}
		}
		return false
	case orb.Collection:
		for _, x := range g {
			if intersectsBound(x, b) {
				return true
			}
		}
		return false
	case orb.Bound:
		return g.Intersects(b)
	}
	return true
}

func polygonIntersectsBound(p orb.Polygon, b orb.Bound) bool {
	if len(p) == 0 || !p.Bound().Intersects(b) {
		return false
	}
	// An edge of any ring touching the rectangle settles it; otherwise
	// either the rectangle is wholly inside the polygon (test a corner) or
	// they are disjoint (or the polygon is inside the rectangle, which
	// the first vertex catches via segment clipping).
	for _, r := range p {
		if lineIntersectsBound(orb.LineString(r), b) {
			return true
		}
	}
	return planar.PolygonContains(p, b.Min)
}

func lineIntersectsBound(l orb.LineString, b orb.Bound) bool {
	if len(l) == 1 {
		return b.Contains(l[0])
	}
	for i := 1; i < len(l); i++ {
		if segmentIntersectsBound(l[i-1], l[i], b) {
			return true
		}
	}
	return false
}

// segmentIntersectsBound clips the segment a→b against the rectangle
// (Liang–Barsky) and reports whether anything is left.
func segmentIntersectsBound(a, c orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := c[0]-a[0], c[1]-a[1]
	clipT := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			if r > t0 {
				t0 = r
			}
		} else {
			if r < t0 {
				return false
			}
			if r < t1 {
				t1 = r
			}
		}
		return true
	}
	return clipT(-dx, a[0]-b.Min[0]) && clipT(dx, b.Max[0]-a[0]) &&
		clipT(-dy, a[1]-b.Min[1]) && clipT(dy, b.Max[1]-a[1])
}

// cellIndex is a uniform grid over a layer's extent mapping each cell to
// the entries whose bound touches it: enough for 30,000 building points,
// with no tree to balance.
type cellIndex struct {
	origin   orb.Point
	size     float64
	nx, ny   int
	cells    [][]int32
	multiple bool // an entry may sit in several cells: dedupe results
}

const cellSizeDeg = 0.01 // about 1 km at Nanjing's latitude

func newCellIndex(extent orb.Bound, bounds []orb.Bound) *cellIndex {
	ix := &cellIndex{origin: extent.Min, size: cellSizeDeg}
	ix.nx = int(math.Floor((extent.Max[0]-extent.Min[0])/ix.size)) + 1
	ix.ny = int(math.Floor((extent.Max[1]-extent.Min[1])/ix.size)) + 1
	if ix.nx*ix.ny > 1<<20 {
		return nil // absurd extent; callers scan instead
	}
	ix.cells = make([][]int32, ix.nx*ix.ny)
	for i, b := range bounds {
		x0, y0, x1, y1 := ix.span(b)
		if x0 != x1 || y0 != y1 {
			ix.multiple = true
		}
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				c := y*ix.nx + x
				ix.cells[c] = append(ix.cells[c], int32(i))
			}
		}
	}
	return ix
}

func (ix *cellIndex) clampX(v float64) int {
	i := int(math.Floor((v - ix.origin[0]) / ix.size))
	return max(0, min(ix.nx-1, i))
}

func (ix *cellIndex) clampY(v float64) int {
	i := int(math.Floor((v - ix.origin[1]) / ix.size))
	return max(0, min(ix.ny-1, i))
}

func (ix *cellIndex) span(b orb.Bound) (x0, y0, x1, y1 int) {
	return ix.clampX(b.Min[0]), ix.clampY(b.Min[1]), ix.clampX(b.Max[0]), ix.clampY(b.Max[1])
}

// candidates returns the ascending indices of entries whose cells meet b,
// or ok=false when b covers so much of the index that a scan is cheaper.
func (ix *cellIndex) candidates(b orb.Bound) (out []int32, ok bool) {
	x0, y0, x1, y1 := ix.span(b)
	if (x1-x0+1)*(y1-y0+1)*2 > ix.nx*ix.ny {
		return nil, false
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			out = append(out, ix.cells[y*ix.nx+x]...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if ix.multiple {
		w := 0
		for i, v := range out {
			if i == 0 || v != out[w-1] {
				out[w] = v
				w++
			}
		}
		out = out[:w]
	}
	return out, true
}
