package gpkg

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
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
