package bundle

import (
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
)

// toSF converts a MultiPolygon to a simplefeatures geometry for the robust
// overlay operations Check needs (not validated here: Check validates
// first with geo.ValidateMultiPolygon).
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

// fromSF keeps the areal parts of an overlay result, one orb.Polygon each.
func fromSF(g geom.Geometry) []orb.Polygon {
	var out []orb.Polygon
	for _, part := range g.Dump() {
		p, ok := part.AsPolygon()
		if !ok || p.IsEmpty() {
			continue
		}
		var op orb.Polygon
		for _, ls := range p.DumpRings() {
			seq := ls.Coordinates()
			r := make(orb.Ring, seq.Length())
			for i := range r {
				c := seq.GetXY(i)
				r[i] = orb.Point{c.X, c.Y}
			}
			op = append(op, r)
		}
		out = append(out, op)
	}
	return out
}
