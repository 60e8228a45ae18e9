package geo

import (
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// CRS names a geographic coordinate system that clients hand in. Chinese
// web map pickers (AutoNavi/Amap, Tencent) return GCJ-02 and Baidu returns
// BD-09; gridd stores and computes in WGS84 only, so input is converted at
// the edge with ToWGS84 and output with FromWGS84.
type CRS string

const (
	// WGS84 is EPSG:4326 lon/lat, gridd's storage system.
	WGS84 CRS = "wgs84"
	// CGCS2000 is China Geodetic Coordinate System 2000 (EPSG:4490). Its
	// ellipsoid differs from WGS84's only in the flattening (semi-minor
	// axes differ by about 0.1 mm) and its frame is tied to ITRF97 at
	// epoch 2000.0, so coordinates agree with WGS84 to a few decimetres
	// at most — far below the precision of grid boundaries and GPS
	// positions — and gridd treats them as identical.
	CGCS2000 CRS = "cgcs2000"
	// GCJ02 is the obfuscated "Mars" system mandated for public maps in
	// mainland China (Amap, Tencent, Google China).
	GCJ02 CRS = "gcj02"
	// BD09 is Baidu's further offset of GCJ-02.
	BD09 CRS = "bd09"
)

// crsAliases maps the lower-cased accepted spellings to a CRS.
var crsAliases = map[string]CRS{
	"wgs84":                         WGS84,
	"wgs-84":                        WGS84,
	"epsg:4326":                     WGS84,
	"crs84":                         WGS84,
	"urn:ogc:def:crs:ogc:1.3:crs84": WGS84,
	"urn:ogc:def:crs:epsg::4326":    WGS84,
	"cgcs2000":                      CGCS2000,
	"epsg:4490":                     CGCS2000,
	"urn:ogc:def:crs:epsg::4490":    CGCS2000,
	"gcj02":                         GCJ02,
	"gcj-02":                        GCJ02,
	"bd09":                          BD09,
	"bd-09":                         BD09,
}

// ParseCRS reads a coordinate-system name, case-insensitively: "wgs84",
// "cgcs2000", "gcj02", "bd09", or "EPSG:4326"/"CRS84" (WGS84) and
// "EPSG:4490" (CGCS2000). Anything else is an errs.Invalid error on field
// "crs".
func ParseCRS(s string) (CRS, error) {
	if c, ok := crsAliases[s]; ok { // canonical input: no allocation
		return c, nil
	}
	if c, ok := crsAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return c, nil
	}
	shown := s
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	return "", errs.E(errs.Invalid, "crs", "unknown coordinate system %q; want wgs84, cgcs2000, gcj02 or bd09", shown)
}

// String returns the canonical name.
func (c CRS) String() string { return string(c) }

// MarshalText writes the canonical name (an alias such as "EPSG:4490"
// held in a CRS is written as "cgcs2000"); an unknown value is an error.
func (c CRS) MarshalText() ([]byte, error) {
	v, err := ParseCRS(string(c))
	if err != nil {
		return nil, errs.E(errs.Invalid, "crs", "unknown coordinate system %q", string(c))
	}
	return []byte(v), nil
}

// UnmarshalText accepts what ParseCRS accepts.
func (c *CRS) UnmarshalText(b []byte) error {
	v, err := ParseCRS(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ToWGS84 converts p from c to WGS84. WGS84 and CGCS2000 are returned
// unchanged. An unknown c yields a NaN point, which every validator
// rejects, rather than a silently unconverted one.
func ToWGS84(c CRS, p orb.Point) orb.Point {
	switch c {
	case WGS84, CGCS2000:
		return p
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return BD09ToWGS84(p)
	}
	return orb.Point{math.NaN(), math.NaN()}
}

// FromWGS84 converts the WGS84 point p to c; an unknown c yields a NaN
// point, as in ToWGS84.
func FromWGS84(c CRS, p orb.Point) orb.Point {
	switch c {
	case WGS84, CGCS2000:
		return p
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return WGS84ToBD09(p)
	}
	return orb.Point{math.NaN(), math.NaN()}
}

// OutOfChina is the rectangle test shared by every public GCJ-02
// implementation: outside lon 72.004..137.8347, lat 0.8293..55.8271 no
// offset is applied, so all four systems coincide there. The rectangle is
// coarse (it includes parts of neighbouring countries) but it is what the
// map providers' clients use, so matching it keeps round trips with them
// consistent. NaN coordinates count as outside (no offset, NaN kept).
func OutOfChina(p orb.Point) bool {
	lon, lat := p[0], p[1]
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

// Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
	bdXPi = math.Pi * 3000.0 / 180.0
)

// gcjDelta is the GCJ-02 offset (dLon, dLat) in degrees at the WGS84 point
// (lon, lat): the public "eviltransform" polynomial-plus-sines formula,
// scaled from metres on the Krasovsky ellipsoid to degrees.
func gcjDelta(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105.0, lat-35.0
	xy := x * y
	absX := math.Sqrt(math.Abs(x))
	xPi, yPi := x*math.Pi, y*math.Pi
	d := 20.0*math.Sin(6.0*xPi) + 20.0*math.Sin(2.0*xPi)

	tLat := d + 20.0*math.Sin(yPi) + 40.0*math.Sin(yPi/3.0) + 160.0*math.Sin(yPi/12.0) + 320.0*math.Sin(yPi/30.0)
	tLon := d + 20.0*math.Sin(xPi) + 40.0*math.Sin(xPi/3.0) + 150.0*math.Sin(xPi/12.0) + 300.0*math.Sin(xPi/30.0)
	tLat = tLat*2.0/3.0 + -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*xy + 0.2*absX
	tLon = tLon*2.0/3.0 + 300.0 + x + 2.0*y + 0.1*x*x + 0.1*xy + 0.1*absX

	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (tLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (tLon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// WGS84ToGCJ02 applies the GCJ-02 offset (a few hundred metres in China);
// points outside China are returned unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	dLon, dLat := gcjDelta(p[0], p[1])
	return orb.Point{p[0] + dLon, p[1] + dLat}
}

// gcjInverseTol is the stopping step of the GCJ-02 and BD-09 inverses in
// degrees (about 1 cm); the offsets' Jacobians are tiny, so the fixed-point
// iteration gains several digits a step and stops after 2–4 steps.
const (
	gcjInverseTol   = 1e-7
	gcjInverseSteps = 30
)

// GCJ02ToWGS84 inverts WGS84ToGCJ02 by fixed-point iteration
// w ← w − (GCJ(w) − g), starting from w = g. The one-step inverse most
// libraries use errs by up to a few metres; this one is within a
// centimetre (tested < 0.5 m). Points outside China are unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	w := p
	for range gcjInverseSteps {
		g := WGS84ToGCJ02(w)
		dx, dy := g[0]-p[0], g[1]-p[1]
		w = orb.Point{w[0] - dx, w[1] - dy}
		if math.Abs(dx) < gcjInverseTol && math.Abs(dy) < gcjInverseTol {
			break
		}
	}
	return w
}

// GCJ02ToBD09 applies Baidu's offset (the public x_pi = π·3000/180 formula);
// points outside China are unchanged.
func GCJ02ToBD09(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	x, y := p[0], p[1]
	z := math.Hypot(x, y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 inverts GCJ02ToBD09. The published closed-form inverse
// (bd09ToGCJ02Approx) is off by up to about 0.25 m, so a round trip
// WGS84 → BD-09 → WGS84 would drift; two or three fixed-point steps on top
// of it bring the error to millimetres. Points outside China are unchanged.
func BD09ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	g := bd09ToGCJ02Approx(p)
	for range gcjInverseSteps {
		b := GCJ02ToBD09(g)
		dx, dy := b[0]-p[0], b[1]-p[1]
		g = orb.Point{g[0] - dx, g[1] - dy}
		if math.Abs(dx) < gcjInverseTol && math.Abs(dy) < gcjInverseTol {
			break
		}
	}
	return g
}

// bd09ToGCJ02Approx is the closed-form inverse every public library uses.
func bd09ToGCJ02Approx(p orb.Point) orb.Point {
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
}

// WGS84ToBD09 is WGS84ToGCJ02 followed by GCJ02ToBD09.
func WGS84ToBD09(p orb.Point) orb.Point { return GCJ02ToBD09(WGS84ToGCJ02(p)) }

// BD09ToWGS84 is BD09ToGCJ02 followed by the iterative GCJ02ToWGS84.
func BD09ToWGS84(p orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(p)) }
