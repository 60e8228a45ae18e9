package geo

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// IntersectsBound reports whether geometry g intersects the closed
// rectangle b (touching counts), the semantics of OGC API bbox filters and
// of PostGIS ST_Intersects, so that the service and the embedded store
// answer bbox queries as PostGIS does. Areas that merely have
// an overlapping bounding box but lie beside the rectangle do not match.
func IntersectsBound(g orb.Geometry, b orb.Bound) bool {
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
			if IntersectsBound(x, b) {
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
