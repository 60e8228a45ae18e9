package cql2

import (
	"github.com/gridd/gridd/geo"

	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// isGeometryKeyword reports whether word starts a geometry literal.
func isGeometryKeyword(word string) bool {
	switch strings.ToUpper(word) {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "BBOX", "ENVELOPE":
		return true
	}
	return false
}

// geometry reads a WKT geometry literal in WGS84 lon/lat (2D), or
// BBOX(west, south, east, north) or ENVELOPE with the same four numbers
// (the name of early CQL2 drafts, which pg_featureserv reads in that
// order), which become an orb.Bound.
func (p *parser) geometry() (orb.Geometry, error) {
	kw := strings.ToUpper(p.tok.text)
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.keyword("Z") || p.keyword("M") || p.keyword("ZM") {
		return nil, errAt(p.tok.pos, "%s: only 2D coordinates (lon lat) are accepted", kw)
	}
	switch kw {
	case "POINT":
		var pt orb.Point
		err := p.paren(kw, func() (err error) { pt, err = p.coord(); return err })
		return pt, err
	case "LINESTRING":
		l, err := p.line(kw, 2)
		return orb.LineString(l), err
	case "POLYGON":
		return p.polygon(kw)
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(kw, func() error {
			// MULTIPOINT((1 2), (3 4)) and MULTIPOINT(1 2, 3 4) are both WKT
			if p.tok.kind == tLParen {
				return p.paren(kw, func() error { pt, err := p.coord(); mp = append(mp, pt); return err })
			}
			pt, err := p.coord()
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(kw, func() error { l, err := p.line(kw, 2); ml = append(ml, l); return err })
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(kw, func() error { poly, err := p.polygon(kw); mp = append(mp, poly); return err })
		return mp, err
	case "BBOX", "ENVELOPE":
		return p.box(kw, pos)
	}
	return nil, errAt(pos, "unknown geometry %s", kw)
}

// paren reads '(' body ')'.
func (p *parser) paren(kw string, body func() error) error {
	if err := p.expect(tLParen, "'(' in "+kw); err != nil {
		return err
	}
	if err := body(); err != nil {
		return err
	}
	return p.expect(tRParen, "')' in "+kw)
}

// list reads '(' item {',' item} ')'.
func (p *parser) list(kw string, item func() error) error {
	return p.paren(kw, func() error {
		for {
			if err := item(); err != nil {
				return err
			}
			if p.tok.kind != tComma {
				return nil
			}
			if err := p.advance(); err != nil {
				return err
			}
		}
	})
}

// coord reads "lon lat", checking the range.
func (p *parser) coord() (orb.Point, error) {
	pos := p.tok.pos
	if err := p.count(pos); err != nil {
		return orb.Point{}, err
	}
	var pt orb.Point
	for i := range pt {
		f, err := p.float()
		if err != nil {
			return pt, err
		}
		pt[i] = f
	}
	if p.tok.kind == tNumber {
		return pt, errAt(p.tok.pos, "only 2D coordinates (lon lat) are accepted")
	}
	if !geo.ValidLonLat(pt[0], pt[1]) {
		return pt, errAt(pos, "%v %v is not a WGS84 lon lat", pt[0], pt[1])
	}
	return pt, nil
}

func (p *parser) float() (float64, error) {
	if p.tok.kind != tNumber {
		return 0, errAt(p.tok.pos, "expected a coordinate, found %s", p.tok.describe())
	}
	v, err := parseNumber(p.tok)
	if err != nil {
		return 0, err
	}
	var f float64
	switch v := v.(type) {
	case int64:
		f = float64(v)
	case float64:
		f = v
	}
	return f, p.advance()
}

// line reads '(' coord {',' coord} ')' with at least min points.
func (p *parser) line(kw string, min int) ([]orb.Point, error) {
	pos := p.tok.pos
	var pts []orb.Point
	err := p.list(kw, func() error { pt, err := p.coord(); pts = append(pts, pt); return err })
	if err == nil && len(pts) < min {
		err = errAt(pos, "%s: a line needs at least %d points, got %d", kw, min, len(pts))
	}
	return pts, err
}

// polygon reads '(' ring {',' ring} ')'; each ring is closed and has at
// least 4 points.
func (p *parser) polygon(kw string) (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(kw, func() error {
		pos := p.tok.pos
		r, err := p.line(kw, 4)
		if err != nil {
			return err
		}
		if r[0] != r[len(r)-1] {
			return errAt(pos, "%s: a ring must end where it starts", kw)
		}
		poly = append(poly, orb.Ring(r))
		return nil
	})
	return poly, err
}

// box reads BBOX(west, south, east, north) or ENVELOPE(west, south, east,
// north).
func (p *parser) box(kw string, pos int) (orb.Geometry, error) {
	var v []float64
	err := p.list(kw, func() error {
		if err := p.count(p.tok.pos); err != nil {
			return err
		}
		f, err := p.float()
		v = append(v, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(v) != 4 {
		return nil, errAt(pos, "%s takes 4 numbers, got %d", kw, len(v))
	}
	w, s, e, n := v[0], v[1], v[2], v[3]
	if w < -180 || e > 180 || s < -90 || n > 90 || w > e || s > n {
		return nil, errAt(pos, "%s: west %v south %v east %v north %v is not a WGS84 box (west ≤ east, south ≤ north)", kw, w, s, e, n)
	}
	return orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}}, nil
}

// geometryText renders g as WKT (BBOX for a bound) that parses back to g.
func geometryText(g orb.Geometry) string {
	var b strings.Builder
	num := func(f float64) { b.WriteString(strconv.FormatFloat(f, 'g', -1, 64)) }
	pt := func(p orb.Point) { num(p[0]); b.WriteByte(' '); num(p[1]) }
	line := func(l []orb.Point) {
		b.WriteByte('(')
		for i, p := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			pt(p)
		}
		b.WriteByte(')')
	}
	poly := func(p orb.Polygon) {
		b.WriteByte('(')
		for i, r := range p {
			if i > 0 {
				b.WriteString(", ")
			}
			line(r)
		}
		b.WriteByte(')')
	}
	switch g := g.(type) {
	case orb.Point:
		b.WriteString("POINT(")
		pt(g)
		b.WriteByte(')')
	case orb.LineString:
		b.WriteString("LINESTRING")
		line(g)
	case orb.Polygon:
		b.WriteString("POLYGON")
		poly(g)
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT")
		line(g)
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING(")
		for i, l := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			line(l)
		}
		b.WriteByte(')')
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, p := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			poly(p)
		}
		b.WriteByte(')')
	case orb.Bound:
		b.WriteString("BBOX(")
		for i, f := range []float64{g.Min[0], g.Min[1], g.Max[0], g.Max[1]} {
			if i > 0 {
				b.WriteString(", ")
			}
			num(f)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// WKT renders g as OGC WKT for a SQL backend (a bound as its POLYGON);
// coordinates use the shortest text that reads back to the same float64.
func WKT(g orb.Geometry) string {
	if b, ok := g.(orb.Bound); ok {
		return geometryText(b.ToPolygon())
	}
	return geometryText(g)
}
