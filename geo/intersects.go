package geo

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Intersects reports whether geometries a and b share at least one point
// (touching counts), the semantics of PostGIS ST_Intersects and of CQL2
// S_INTERSECTS, planar in lon/lat. It decides on the two geometries' parts:
// a point of one lying in, on or at the other; an edge of one crossing or
// touching an edge of the other; or a line or area of one lying wholly in
// an area of the other. Rectangles (orb.Bound) are areas. Points on edges
// use the predicate kernel's onSegmentPt, edge pairs validation's
// segment-contact test.
func Intersects(a, b orb.Geometry) bool {
	if a == nil || b == nil || !a.Bound().Intersects(b.Bound()) {
		return false
	}
	if bb, ok := b.(orb.Bound); ok {
		return IntersectsBound(a, bb)
	}
	if ab, ok := a.(orb.Bound); ok {
		return IntersectsBound(b, ab)
	}
	pa, pb := partsOf(a), partsOf(b)
	return pointsTouch(pa, pb) || pointsTouch(pb, pa) || edgesTouch(pa, pb) ||
		startsInside(pa, pb) || startsInside(pb, pa)
}

// geomParts is a geometry taken apart for Intersects: its isolated points,
// its edges (of lines and of rings), the first vertex of each line or
// polygon (a part with no edge touching the other geometry lies wholly
// inside or outside it, and that vertex says which) and its polygons.
type geomParts struct {
	points []orb.Point
	edges  [][2]orb.Point
	starts []orb.Point
	polys  []orb.Polygon
}

func partsOf(g orb.Geometry) *geomParts {
	p := &geomParts{}
	p.add(g)
	return p
}

func (p *geomParts) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		p.points = append(p.points, g)
	case orb.MultiPoint:
		p.points = append(p.points, g...)
	case orb.LineString:
		p.addLine(g)
	case orb.MultiLineString:
		for _, l := range g {
			p.addLine(l)
		}
	case orb.Ring:
		p.addPolygon(orb.Polygon{g})
	case orb.Polygon:
		p.addPolygon(g)
	case orb.MultiPolygon:
		for _, poly := range g {
			p.addPolygon(poly)
		}
	case orb.Bound:
		p.addPolygon(g.ToPolygon())
	case orb.Collection:
		for _, x := range g {
			p.add(x)
		}
	}
}

func (p *geomParts) addLine(l orb.LineString) {
	switch len(l) {
	case 0:
		return
	case 1:
		p.points = append(p.points, l[0])
		return
	}
	p.starts = append(p.starts, l[0])
	for i := 1; i < len(l); i++ {
		p.edges = append(p.edges, [2]orb.Point{l[i-1], l[i]})
	}
}

func (p *geomParts) addPolygon(poly orb.Polygon) {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return
	}
	p.polys = append(p.polys, poly)
	p.starts = append(p.starts, poly[0][0])
	for _, r := range poly {
		for i := 1; i < len(r); i++ {
			p.edges = append(p.edges, [2]orb.Point{r[i-1], r[i]})
		}
	}
}

// pointsTouch reports whether an isolated point of a equals a point of b,
// lies on an edge of b or inside a polygon of b.
func pointsTouch(a, b *geomParts) bool {
	for _, pt := range a.points {
		for _, q := range b.points {
			if pt == q {
				return true
			}
		}
		for _, e := range b.edges {
			if onSegmentPt(e[0], e[1], pt) {
				return true
			}
		}
		if inPolygons(pt, b.polys) {
			return true
		}
	}
	return false
}

// edgesTouch reports whether an edge of a meets an edge of b.
func edgesTouch(a, b *geomParts) bool {
	for _, e := range a.edges {
		eb := orb.Bound{Min: e[0], Max: e[0]}.Extend(e[1])
		for _, f := range b.edges {
			fb := orb.Bound{Min: f[0], Max: f[0]}.Extend(f[1])
			if eb.Intersects(fb) && valSegContact(e[0], e[1], f[0], f[1]) != valNoContact {
				return true
			}
		}
	}
	return false
}

// startsInside reports whether a line or polygon of a starts inside a
// polygon of b; with no edges meeting, that part then lies inside b.
func startsInside(a, b *geomParts) bool {
	for _, pt := range a.starts {
		if inPolygons(pt, b.polys) {
			return true
		}
	}
	return false
}

func inPolygons(pt orb.Point, polys []orb.Polygon) bool {
	for _, poly := range polys {
		if planar.PolygonContains(poly, pt) {
			return true
		}
	}
	return false
}
