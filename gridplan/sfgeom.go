package gridplan

import (
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/errs"
)

// Polygon overlay goes through simplefeatures (pure Go, robust DCEL
// overlay) so that no hand-written clipping decides what a grid covers.

func toSF(mp orb.MultiPolygon) geom.Geometry {
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

// fromSF keeps the areal parts of g (an overlay may add stray lines or
// points where inputs touch), outer rings counter-clockwise and holes
// clockwise as RFC 7946 asks.
func fromSF(g geom.Geometry) orb.MultiPolygon {
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
			if ccw := signedArea(r[:len(r)-1]) > 0; ccw != (i == 0) {
				r.Reverse()
			}
			op = append(op, r)
		}
		out = append(out, op)
	}
	return out
}

func overlay(op func(a, b geom.Geometry) (geom.Geometry, error), a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	g, err := op(toSF(a), toSF(b))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "polygon overlay failed")
	}
	return fromSF(g), nil
}

func intersection(a, b geom.Geometry) (orb.MultiPolygon, error) {
	g, err := geom.Intersection(a, b)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "polygon intersection failed")
	}
	return fromSF(g), nil
}

func union(a, b orb.MultiPolygon) (orb.MultiPolygon, error) { return overlay(geom.Union, a, b) }

func difference(a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	return overlay(geom.Difference, a, b)
}
