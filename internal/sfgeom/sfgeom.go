// Package sfgeom converts between orb geometries (the in-memory form of every
// areal geometry in gridd) and github.com/peterstace/simplefeatures
// geometries, whose pure-Go DCEL overlay is robust where hand-written
// clipping is not. bundle, fixtures and gridplan all overlay polygons; this
// is the one place the conversion lives. Pure computation, no I/O.
package sfgeom

import (
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/errs"
)

// FromOrb converts a MultiPolygon to a simplefeatures geometry, vertex for
// vertex. It does not validate: callers validate first (geo.ValidateMultiPolygon)
// or call Validate on the result, because validation costs as much as some
// overlays and several callers convert the same shape many times.
func FromOrb(mp orb.MultiPolygon) geom.Geometry {
	polys := make([]geom.Polygon, 0, len(mp))
	for _, p := range mp {
		rings := make([]geom.LineString, 0, len(p))
		for _, r := range p {
			flat := make([]float64, 0, 2*len(r))
			for _, pt := range r {
				flat = append(flat, pt[0], pt[1])
			}
			rings = append(rings, geom.NewLineString(geom.NewSequence(flat, geom.DimXY)))
		}
		polys = append(polys, geom.NewPolygon(rings))
	}
	return geom.NewMultiPolygon(polys).AsGeometry()
}

// ToOrb keeps the areal parts of g, one orb.Polygon each, rings in the
// order and orientation simplefeatures gives them: an overlay may add stray
// lines or points where its inputs touch, and those are dropped. The result
// is nil when g has no non-empty polygon.
func ToOrb(g geom.Geometry) orb.MultiPolygon { return toOrb(g, false) }

// ToOrbRFC7946 is ToOrb with exterior rings turned counter-clockwise and
// holes clockwise, as RFC 7946 asks of GeoJSON output.
func ToOrbRFC7946(g geom.Geometry) orb.MultiPolygon { return toOrb(g, true) }

func toOrb(g geom.Geometry, orient bool) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, part := range g.Dump() {
		p, ok := part.AsPolygon()
		if !ok || p.IsEmpty() {
			continue
		}
		var op orb.Polygon
		for i, ls := range p.DumpRings() {
			seq := ls.Coordinates()
			r := make(orb.Ring, seq.Length())
			for j := range r {
				c := seq.GetXY(j)
				r[j] = orb.Point{c.X, c.Y}
			}
			if orient {
				if ccw := SignedArea(r[:len(r)-1]) > 0; ccw != (i == 0) {
					r.Reverse()
				}
			}
			op = append(op, r)
		}
		out = append(out, op)
	}
	return out
}

// SignedArea is the planar (shoelace) area of an open ring, without the
// closing vertex, in squared input units: positive when counter-clockwise.
func SignedArea(pts []orb.Point) float64 {
	s := 0.0
	for i := range pts {
		a, b := pts[i], pts[(i+1)%len(pts)]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

// Union is a ∪ b, oriented as ToOrbRFC7946.
func Union(a, b orb.MultiPolygon) (orb.MultiPolygon, error) { return overlay(geom.Union, a, b) }

// Difference is a − b, oriented as ToOrbRFC7946.
func Difference(a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	return overlay(geom.Difference, a, b)
}

// Intersection is a ∩ b, oriented as ToOrbRFC7946. It takes converted
// geometries because its callers clip many shapes against one region and
// convert the region once.
func Intersection(a, b geom.Geometry) (orb.MultiPolygon, error) {
	g, err := geom.Intersection(a, b)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "polygon intersection failed")
	}
	return ToOrbRFC7946(g), nil
}

func overlay(op func(a, b geom.Geometry) (geom.Geometry, error), a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	g, err := op(FromOrb(a), FromOrb(b))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "polygon overlay failed")
	}
	return ToOrbRFC7946(g), nil
}

// SymDifference is (a − b) ∪ (b − a), oriented as ToOrbRFC7946.
func SymDifference(a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	return overlay(geom.SymmetricDifference, a, b)
}
