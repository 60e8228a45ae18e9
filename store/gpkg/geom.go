package gpkg

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"
)

// srsWGS84 is the srs_id every feature table uses (EPSG:4326, lon/lat).
const srsWGS84 = 4326

// encodeGeom writes g as a GeoPackage binary geometry: the "GP" header
// (version 0, little-endian, xy envelope, srs 4326) followed by ISO WKB.
// Every geometry carries its envelope, points included, so that the R-tree
// trigger functions read bounds from the header without parsing WKB.
func encodeGeom(g orb.Geometry) ([]byte, error) {
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	b := g.Bound()
	buf := make([]byte, 8+32, 8+32+len(body))
	buf[0], buf[1], buf[2] = 'G', 'P', 0
	buf[3] = 1 | 1<<1 // little-endian, envelope [minx, maxx, miny, maxy]
	binary.LittleEndian.PutUint32(buf[4:], srsWGS84)
	for i, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
		binary.LittleEndian.PutUint64(buf[8+8*i:], math.Float64bits(v))
	}
	return append(buf, body...), nil
}

// header is the parsed part of a GeoPackage binary geometry before the WKB.
type header struct {
	empty   bool
	env     []float64 // minx, maxx, miny, maxy[, ...] or nil
	wkbFrom int
}

func parseHeader(blob []byte) (header, error) {
	if len(blob) < 8 || blob[0] != 'G' || blob[1] != 'P' {
		return header{}, fmt.Errorf("not a GeoPackage geometry (no GP magic)")
	}
	if blob[2] != 0 {
		return header{}, fmt.Errorf("GeoPackage geometry version %d is not supported", blob[2])
	}
	flags := blob[3]
	var order binary.ByteOrder = binary.BigEndian
	if flags&1 == 1 {
		order = binary.LittleEndian
	}
	n := 0
	switch (flags >> 1) & 7 {
	case 0:
	case 1:
		n = 4
	case 2, 3:
		n = 6
	case 4:
		n = 8
	default:
		return header{}, fmt.Errorf("bad GeoPackage envelope indicator %d", (flags>>1)&7)
	}
	h := header{empty: flags&(1<<4) != 0, wkbFrom: 8 + 8*n}
	if len(blob) < h.wkbFrom {
		return header{}, fmt.Errorf("GeoPackage geometry header truncated")
	}
	if n > 0 {
		h.env = make([]float64, n)
		for i := range h.env {
			h.env[i] = math.Float64frombits(order.Uint64(blob[8+8*i:]))
		}
	}
	return h, nil
}

// decodeGeom parses a GeoPackage binary geometry.
func decodeGeom(blob []byte) (orb.Geometry, error) {
	h, err := parseHeader(blob)
	if err != nil {
		return nil, err
	}
	return wkb.Unmarshal(blob[h.wkbFrom:])
}

// envelope returns the bound of a GeoPackage geometry, from its header when
// present, and whether the geometry is empty.
func envelope(blob []byte) (orb.Bound, bool, error) {
	h, err := parseHeader(blob)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if h.empty {
		return orb.Bound{}, true, nil
	}
	if h.env != nil {
		return orb.Bound{Min: orb.Point{h.env[0], h.env[2]}, Max: orb.Point{h.env[1], h.env[3]}}, false, nil
	}
	g, err := wkb.Unmarshal(blob[h.wkbFrom:])
	if err != nil {
		return orb.Bound{}, false, err
	}
	return g.Bound(), false, nil
}

// intersects reports whether g intersects the closed rectangle b, with the
// semantics of ST_Intersects (touching counts), so that the GeoPackage store
// answers bbox queries as PostGIS does.
func intersects(g orb.Geometry, b orb.Bound) bool {
	if !g.Bound().Intersects(b) {
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
	case orb.Polygon:
		return polygonIntersects(g, b)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonIntersects(p, b) {
				return true
			}
		}
		return false
	default:
		return true // bound test only for kinds the store never writes
	}
}

func polygonIntersects(p orb.Polygon, b orb.Bound) bool {
	if len(p) == 0 || !p.Bound().Intersects(b) {
		return false
	}
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			if segmentHitsBound(r[i], r[i+1], b) {
				return true
			}
		}
	}
	// No edge meets the rectangle: either the rectangle lies inside the
	// polygon (test one of its points) or they are disjoint.
	return planar.PolygonContains(p, b.Center())
}

// segmentHitsBound clips segment a-b against the rectangle (Liang-Barsky).
func segmentHitsBound(a, c orb.Point, b orb.Bound) bool {
	dx, dy := c[0]-a[0], c[1]-a[1]
	t0, t1 := 0.0, 1.0
	clip := func(p, q float64) bool {
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
	return clip(-dx, a[0]-b.Min[0]) && clip(dx, b.Max[0]-a[0]) &&
		clip(-dy, a[1]-b.Min[1]) && clip(dy, b.Max[1]-a[1])
}
