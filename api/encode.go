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
// Coordinates in CRS84, EPSG:4326 and EPSG:4490 are the stored values,
// written as the shortest decimal that round-trips, so a GIS client that
// copies features gets exactly the stored geometry (areas equal to the
// store's). GCJ-02 coordinates are computed by an offset formula whose
// inverse is only good to about 1 cm, so they are rounded to
// 7 decimals (1e-7° ≈ 1 cm) instead of carrying 17 digits of
// noise.
const gcjScale = 1e7 // 7 decimals

func appendCoord(dst []byte, v float64, round bool) []byte {
	if round {
		if r := math.Round(v*gcjScale) / gcjScale; !math.IsInf(r, 0) && !math.IsNaN(r) {
			v = r
		}
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

type pointWriter struct {
	crs *outCRS
}

func (pw pointWriter) point(dst []byte, p orb.Point) []byte {
	round := false
	if pw.crs.geo != geo.WGS84 && pw.crs.geo != geo.CGCS2000 {
		p = geo.FromWGS84(pw.crs.geo, p)
		round = true
	}
	x, y := p[0], p[1]
	if pw.crs.latFirst {
		x, y = y, x
	}
	dst = append(dst, '[')
	dst = appendCoord(dst, x, round)
	dst = append(dst, ',')
	dst = appendCoord(dst, y, round)
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
func appendGeometry(dst []byte, g orb.Geometry, c *outCRS) []byte {
	pw := pointWriter{crs: c}
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
			dst = appendGeometry(dst, x, c)
		}
		return append(dst, ']', '}')
	case orb.Bound:
		return appendGeometry(dst, g.ToPolygon(), c)
	default:
		return append(dst, "null"...)
	}
	return append(dst, '}')
}

// appendFeature writes f as a GeoJSON Feature without links. Properties
// are written by encoding/json (sorted keys, so the bytes are stable and
// ETags do not flap).
func appendFeature(dst []byte, f *store.Feature, c *outCRS) ([]byte, error) {
	dst = append(dst, `{"type":"Feature","id":`...)
	id, _ := json.Marshal(f.ID)
	dst = append(dst, id...)
	dst = append(dst, `,"geometry":`...)
	dst = appendGeometry(dst, f.Geom, c)
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
