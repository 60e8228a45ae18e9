package api

import (
	"github.com/gridd/gridd/geo"
)

// CRS URIs served by OGC API Features Part 2. GCJ-02 has no EPSG code (it
// is an obfuscation, not a datum), so gridd names it with its own URI.
const (
	CRS84URI    = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	EPSG4326URI = "http://www.opengis.net/def/crs/EPSG/0/4326"
	EPSG4490URI = "http://www.opengis.net/def/crs/EPSG/0/4490"
	// GCJ02URI identifies GCJ-02 ("Mars coordinates"), the offset system of
	// Chinese public basemaps (Amap, Tencent), axis order lon, lat.
	GCJ02URI = "https://gridd.example/def/crs/GCJ02"
)

// encoding indexes a feature's cached GeoJSON encodings. EPSG:4326 and
// EPSG:4490 share one: gridd treats CGCS2000 as WGS84 (see geo.CGCS2000)
// and both are latitude-first.
type encoding uint8

const (
	encLonLat encoding = iota
	encLatLon
	encGCJ02
	nEncodings
)

// outCRS is one coordinate reference system gridd can write and read.
type outCRS struct {
	URI      string
	geo      geo.CRS
	latFirst bool
	enc      encoding
}

func (c *outCRS) axisOrder() string {
	if c.latFirst {
		return "latitude, longitude"
	}
	return "longitude, latitude"
}

// header is the Content-Crs header value.
func (c *outCRS) header() string { return "<" + c.URI + ">" }

// supportedCRS lists the systems in the order collections advertise them;
// the first is the default and the storage CRS.
var supportedCRS = []outCRS{
	{URI: CRS84URI, geo: geo.WGS84, enc: encLonLat},
	{URI: EPSG4326URI, geo: geo.WGS84, latFirst: true, enc: encLatLon},
	{URI: EPSG4490URI, geo: geo.CGCS2000, latFirst: true, enc: encLatLon},
	{URI: GCJ02URI, geo: geo.GCJ02, enc: encGCJ02},
}

func crsByURI(s string) (*outCRS, bool) {
	for i := range supportedCRS {
		if supportedCRS[i].URI == s {
			return &supportedCRS[i], true
		}
	}
	return nil, false
}

func crsURIs() []string {
	out := make([]string, len(supportedCRS))
	for i, c := range supportedCRS {
		out[i] = c.URI
	}
	return out
}
