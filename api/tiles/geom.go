package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// minAreaPx is the area in tile units² a ring must cover to survive
// simplification when Douglas-Peucker would flatten it: one pixel.
const minAreaPx = TolerancePx * TolerancePx

// maxLat is Web Mercator's latitude limit.
const maxLat = 85.0511287798066

// projector turns WGS84 geometry into clipped, simplified tile geometry.
type projector struct {
	world      float64 // world size in tile units at this zoom
	minX, minY float64 // the tile's origin in world units
	box        orb.Bound
	dp         *simplify.DouglasPeuckerSimplifier
	// merc: input points are already unit Web Mercator (see mercator),
	// as a Source keeps them, so no trigonometry per point and tile.
	merc bool
}

// mercator maps a WGS84 point to unit Web Mercator: x, y in 0..1, y down.
// Tile units are these times 2^(z+12); since that factor is a power of two
// the product is exact, so projecting now or later gives the same bits.
func mercator(q orb.Point) orb.Point {
	lat := math.Max(-maxLat, math.Min(maxLat, q[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{q[0]/360 + 0.5, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

func newProjector(t maptile.Tile) *projector {
	return &projector{
		world: math.Ldexp(1, int(t.Z)+12), // Extent = 2^12
		minX:  float64(uint64(t.X) << 12),
		minY:  float64(uint64(t.Y) << 12),
		box:   orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}},
		dp:    simplify.DouglasPeucker(TolerancePx),
	}
}

// point projects to integer tile units. It floors, as orb's own MVT
// projection does, so orb's ProjectToWGS84 (which adds half a unit) is
// its inverse to within half a unit.
func (p *projector) point(q orb.Point) orb.Point {
	if !p.merc {
		q = mercator(q)
	}
	return orb.Point{math.Floor(q[0]*p.world - p.minX), math.Floor(q[1]*p.world - p.minY)}
}

// line projects pts, dropping consecutive repeats (MVT forbids zero-length
// segments, and many vertices fall on one unit at low zoom).
func (p *projector) line(pts []orb.Point) []orb.Point {
	out := make([]orb.Point, 0, len(pts))
	for _, q := range pts {
		tp := p.point(q)
		if n := len(out); n > 0 && out[n-1] == tp {
			continue
		}
		out = append(out, tp)
	}
	return out
}

// inside reports whether all pts lie in the clip box.
func (p *projector) inside(pts []orb.Point) bool {
	for _, q := range pts {
		if q[0] < p.box.Min[0] || q[0] > p.box.Max[0] || q[1] < p.box.Min[1] || q[1] > p.box.Max[1] {
			return false
		}
	}
	return true
}

// dedupe drops consecutive repeats in place.
func dedupe(pts []orb.Point) []orb.Point {
	if len(pts) < 2 {
		return pts
	}
	n := 1
	for i := 1; i < len(pts); i++ {
		if pts[i] != pts[n-1] {
			pts[n] = pts[i]
			n++
		}
	}
	return pts[:n]
}

// geometry returns g in tile units, clipped and simplified, or nil when
// nothing is left.
func (p *projector) geometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		tp := p.point(g)
		if !p.box.Contains(tp) {
			return nil
		}
		return tp
	case orb.MultiPoint:
		var mp orb.MultiPoint
		for _, q := range g {
			if tp := p.point(q); p.box.Contains(tp) {
				mp = append(mp, tp)
			}
		}
		if len(mp) == 0 {
			return nil
		}
		return mp
	case orb.LineString:
		return p.lines(orb.MultiLineString{g})
	case orb.MultiLineString:
		return p.lines(g)
	case orb.Polygon:
		return p.polygons(orb.MultiPolygon{g})
	case orb.MultiPolygon:
		return p.polygons(g)
	}
	return nil
}

func (p *projector) lines(mls orb.MultiLineString) orb.Geometry {
	var out orb.MultiLineString
	for _, ls := range mls {
		for _, part := range clip.LineString(p.box, orb.LineString(p.line(ls))) {
			part = orb.LineString(dedupe(p.dp.LineString(part)))
			if len(part) >= 2 {
				out = append(out, part)
			}
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

func (p *projector) polygons(mp orb.MultiPolygon) orb.Geometry {
	var out orb.MultiPolygon
	for _, poly := range mp {
		var np orb.Polygon
		for ri, r := range poly {
			tr := p.ring(r, ri == 0)
			if tr == nil {
				if ri == 0 {
					break // the shell is gone, so are its holes
				}
				continue
			}
			np = append(np, tr)
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// ring projects, clips and simplifies one ring and orients it: shells get a
// positive surveyor's area in tile coordinates, holes a negative one (MVT
// 2.1 §4.3.4.4). A ring that degenerates to less than a triangle or to no
// area is nil.
func (p *projector) ring(r orb.Ring, shell bool) orb.Ring {
	pts := p.line(r)
	if len(pts) < 3 {
		return nil
	}
	if pts[0] != pts[len(pts)-1] {
		pts = append(pts, pts[0])
	}
	cr := orb.Ring(pts)
	if !p.inside(pts) { // most rings lie wholly in the tile at low zoom
		if cr = clip.Ring(p.box, cr); cr == nil {
			return nil
		}
		cr = orb.Ring(dedupe(cr))
	}
	// Douglas-Peucker flattens a ring narrower than a few tolerances to a
	// line. Such a ring still covering a pixel is kept unsimplified (a
	// small grid at low zoom stays visible); smaller ones are dropped.
	var keep orb.Ring
	if b := cr.Bound(); min(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) < 4*TolerancePx {
		keep = slices.Clone(cr)
	}
	cr = orb.Ring(dedupe(p.dp.Ring(cr)))
	a := 0.0
	if len(cr) >= 4 {
		a = signedArea2(cr)
	}
	if a == 0 && keep != nil && len(keep) >= 4 && math.Abs(signedArea2(keep)) >= 2*minAreaPx {
		cr, a = keep, signedArea2(keep)
	}
	if a == 0 {
		return nil
	}
	if (a > 0) != shell {
		for i, j := 0, len(cr)-1; i < j; i, j = i+1, j-1 {
			cr[i], cr[j] = cr[j], cr[i]
		}
	}
	return cr
}

// signedArea2 is twice the surveyor's-formula area of a closed ring.
func signedArea2(r orb.Ring) float64 {
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}
