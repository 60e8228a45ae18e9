package api

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/store"
)

// A hand-written GeoJSON writer: it appends to a byte slice with no
// reflection and applies the output CRS (offset and axis order) on the way.
//
// Every CRS is written at one documented precision: defaultDecimals (7
// decimals of a degree, about 1 cm), the precision of the GCJ-02 offset
// formula's inverse and far finer than any survey the district holds. A
// caller that wants more asks for it with ?precision= (up to maxDecimals);
// numbers are written as the shortest decimal of the rounded value.
const (
	defaultDecimals = 7
	maxDecimals     = 15
)

// pow10 are the scales of 0..maxDecimals decimals.
var pow10 = func() [maxDecimals + 1]float64 {
	var p [maxDecimals + 1]float64
	p[0] = 1
	for i := 1; i <= maxDecimals; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// roundCoord rounds v to decimals (0..maxDecimals); a value the scaling
// would overflow is kept as it is.
func roundCoord(v float64, decimals int) float64 {
	scale := pow10[decimals]
	if r := math.Round(v*scale) / scale; !math.IsInf(r, 0) && !math.IsNaN(r) {
		return r
	}
	return v
}

func appendCoord(dst []byte, v float64, decimals int) []byte {
	return strconv.AppendFloat(dst, roundCoord(v, decimals), 'f', -1, 64)
}

type pointWriter struct {
	crs      *outCRS
	decimals int
}

func (pw pointWriter) point(dst []byte, p orb.Point) []byte {
	if pw.crs.geo != geo.WGS84 && pw.crs.geo != geo.CGCS2000 {
		p = geo.FromWGS84(pw.crs.geo, p)
	}
	x, y := p[0], p[1]
	if pw.crs.latFirst {
		x, y = y, x
	}
	dst = append(dst, '[')
	dst = appendCoord(dst, x, pw.decimals)
	dst = append(dst, ',')
	dst = appendCoord(dst, y, pw.decimals)
	return append(dst, ']')
}

func (pw pointWriter) points(dst []byte, ps []orb.Point) []byte {
	dst = append(dst, '[')
	for i, p := range ps {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = pw.point(dst, p)
	}
	return append(dst, ']')
}

func (pw pointWriter) rings(dst []byte, rs []orb.Ring) []byte {
	dst = append(dst, '[')
	for i, r := range rs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = pw.points(dst, r)
	}
	return append(dst, ']')
}

// appendGeometry writes g as a GeoJSON geometry object (null for nil).
func appendGeometry(dst []byte, g orb.Geometry, c *outCRS, decimals int) []byte {
	pw := pointWriter{crs: c, decimals: decimals}
	switch g := g.(type) {
	case nil:
		return append(dst, "null"...)
	case orb.Point:
		dst = append(dst, `{"type":"Point","coordinates":`...)
		dst = pw.point(dst, g)
	case orb.MultiPoint:
		dst = append(dst, `{"type":"MultiPoint","coordinates":`...)
		dst = pw.points(dst, g)
	case orb.LineString:
		dst = append(dst, `{"type":"LineString","coordinates":`...)
		dst = pw.points(dst, g)
	case orb.MultiLineString:
		dst = append(dst, `{"type":"MultiLineString","coordinates":`...)
		dst = append(dst, '[')
		for i, l := range g {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = pw.points(dst, l)
		}
		dst = append(dst, ']')
	case orb.Ring:
		dst = append(dst, `{"type":"Polygon","coordinates":`...)
		dst = pw.rings(dst, []orb.Ring{g})
	case orb.Polygon:
		dst = append(dst, `{"type":"Polygon","coordinates":`...)
		dst = pw.rings(dst, g)
	case orb.MultiPolygon:
		dst = append(dst, `{"type":"MultiPolygon","coordinates":`...)
		dst = append(dst, '[')
		for i, p := range g {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = pw.rings(dst, p)
		}
		dst = append(dst, ']')
	case orb.Collection:
		dst = append(dst, `{"type":"GeometryCollection","geometries":[`...)
		for i, x := range g {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendGeometry(dst, x, c, decimals)
		}
		return append(dst, ']', '}')
	case orb.Bound:
		return appendGeometry(dst, g.ToPolygon(), c, decimals)
	default:
		return append(dst, "null"...)
	}
	return append(dst, '}')
}

// appendFeature writes f as a GeoJSON Feature without links, coordinates
// in c at decimals. Properties are written by encoding/json (sorted keys,
// so the bytes are stable and ETags do not flap).
func appendFeature(dst []byte, f *store.Feature, c *outCRS, decimals int) ([]byte, error) {
	dst = append(dst, `{"type":"Feature","id":`...)
	id, _ := json.Marshal(f.ID)
	dst = append(dst, id...)
	dst = append(dst, `,"geometry":`...)
	dst = appendGeometry(dst, f.Geom, c, decimals)
	dst = append(dst, `,"properties":`...)
	props := f.Props
	if props == nil {
		props = map[string]any{}
	}
	pb, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	dst = append(dst, pb...)
	return append(dst, '}'), nil
}
