package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// postgisMeanRadiusM is the sphere PostGIS uses for geography functions
// with use_spheroid=false (the WGS84 mean radius R1 = (2a+b)/3).
const postgisMeanRadiusM = 6371008.7714

// PostGIS fixtures, computed once by hand with PostGIS 3.3.2 on this
// machine (psql, throw-away database):
//
//	SELECT ST_Distance(a::geography, b::geography, true),   -- spheroid
//	       ST_Distance(a::geography, b::geography, false)   -- sphere R1
//
// The sphere values, rescaled from R1 to our radius (the WGS84 semi-major
// axis), must equal DistanceM to rounding; the spheroid values bound the
// error of using a sphere at all (< 0.5 % at Nanjing's latitude).
var postgisDistances = []struct {
	name             string
	a, b             orb.Point
	spheroid, sphere float64
}{
	{"pukou-xinjiekou", orb.Point{118.6275, 32.0589}, orb.Point{118.7784, 32.0416}, 14379.7670, 14351.3903},
	{"pukou-ns-10km", orb.Point{118.6, 32.0}, orb.Point{118.6, 32.09}, 9979.8838, 10007.5572},
	{"pukou-ew", orb.Point{118.5, 32.1}, orb.Point{118.8, 32.1}, 28317.1230, 28258.7278},
	{"nanjing-beijing", orb.Point{118.7969, 32.0603}, orb.Point{116.4074, 39.9042}, 896527.9369, 898207.2953},
	{"short-50m", orb.Point{118.63, 32.06}, orb.Point{118.6305, 32.0603}, 57.7579, 57.7316},
}

func TestDistanceMPostGIS(t *testing.T) {
	for _, tc := range postgisDistances {
		t.Run(tc.name, func(t *testing.T) {
			got := DistanceM(tc.a, tc.b)
			sphere := tc.sphere * EarthRadiusM / postgisMeanRadiusM
			if math.Abs(got-sphere) > 1e-4+1e-9*sphere { // fixtures are rounded to 0.1 mm
				t.Errorf("DistanceM = %.4f, PostGIS sphere (rescaled) %.4f", got, sphere)
			}
			if rel := math.Abs(got-tc.spheroid) / tc.spheroid; rel > 0.005 {
				t.Errorf("DistanceM = %.4f, PostGIS spheroid %.4f: %.3f %% off", got, tc.spheroid, 100*rel)
			}
			if got != DistanceM(tc.b, tc.a) {
				t.Errorf("DistanceM is not symmetric")
			}
		})
	}
}

func TestDistanceMKnown(t *testing.T) {
	r := EarthRadiusM
	tests := []struct {
		name string
		a, b orb.Point
		want float64
	}{
		{"same point", orb.Point{118.6, 32}, orb.Point{118.6, 32}, 0},
		{"1° of longitude on the equator", orb.Point{0, 0}, orb.Point{1, 0}, r * math.Pi / 180},
		{"1° of latitude anywhere", orb.Point{118.6, 32}, orb.Point{118.6, 33}, r * math.Pi / 180},
		{"equator to pole", orb.Point{10, 0}, orb.Point{10, 90}, r * math.Pi / 2},
		{"antipodes", orb.Point{118.6, 32}, orb.Point{-61.4, -32}, r * math.Pi},
		{"across the antimeridian", orb.Point{179.5, 0}, orb.Point{-179.5, 0}, r * math.Pi / 180},
		{"1° of longitude at 60°N is half", orb.Point{0, 60}, orb.Point{1, 60}, 2 * r * math.Asin(math.Cos(math.Pi/3)*math.Sin(math.Pi/360))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DistanceM(tc.a, tc.b); math.Abs(got-tc.want) > 1e-6*math.Max(1, tc.want) {
				t.Fatalf("DistanceM = %.6f, want %.6f", got, tc.want)
			}
		})
	}
}

// vincentyM is Vincenty's inverse formula on the WGS84 ellipsoid, an
// independent (ellipsoidal, iterative) reference for DistanceM.
func vincentyM(p1, p2 orb.Point) float64 {
	const a, f = 6378137.0, 1 / 298.257223563
	b := a * (1 - f)
	rad := math.Pi / 180
	L := (p2[0] - p1[0]) * rad
	U1 := math.Atan((1 - f) * math.Tan(p1[1]*rad))
	U2 := math.Atan((1 - f) * math.Tan(p2[1]*rad))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	lambda := L
	var sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM float64
	for range 200 {
		sinL, cosL := math.Sincos(lambda)
		sinSigma = math.Hypot(cosU2*sinL, cosU1*sinU2-sinU1*cosU2*cosL)
		if sinSigma == 0 {
			return 0
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosL
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinL / sinSigma
		cos2Alpha = 1 - sinAlpha*sinAlpha
		cos2SigmaM = 0
		if cos2Alpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		}
		C := f / 16 * cos2Alpha * (4 + f*(4-3*cos2Alpha))
		prev := lambda
		lambda = L + (1-C)*f*sinAlpha*(sigma+C*sinSigma*(cos2SigmaM+C*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda-prev) < 1e-12 {
			break
		}
	}
	u2 := cos2Alpha * (a*a - b*b) / (b * b)
	A := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
	B := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
	dSigma := B * sinSigma * (cos2SigmaM + B/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
		B/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
	return b * A * (sigma - dSigma)
}

func TestVincentyMatchesPostGIS(t *testing.T) {
	// The reference itself must agree with PostGIS's spheroid values.
	for _, tc := range postgisDistances {
		if got := vincentyM(tc.a, tc.b); math.Abs(got-tc.spheroid) > 1e-3 {
			t.Errorf("%s: vincenty %.4f, PostGIS %.4f", tc.name, got, tc.spheroid)
		}
	}
}

func TestDistanceMVersusVincenty(t *testing.T) {
	s := basicsSeed(t)
	rnd := rand.New(rand.NewPCG(s, 3))
	worst := 0.0
	for range 10000 {
		// Pairs within and around the Pukou district (up to ~100 km).
		a := orb.Point{118.3 + rnd.Float64()*0.8, 31.8 + rnd.Float64()*0.6}
		b := orb.Point{118.3 + rnd.Float64()*0.8, 31.8 + rnd.Float64()*0.6}
		v := vincentyM(a, b)
		if v < 1 {
			continue
		}
		worst = math.Max(worst, math.Abs(DistanceM(a, b)-v)/v)
	}
	t.Logf("worst relative difference from Vincenty (WGS84 ellipsoid) near Pukou: %.3f %%", 100*worst)
	// A sphere of radius a is off by at most ~0.4 % at 32°N (meridional
	// radius of curvature 0.996 a, prime vertical 1.0008 a).
	if worst > 0.005 {
		t.Fatalf("DistanceM differs from Vincenty by %.3f %%", 100*worst)
	}
}

// PostGIS 3.3.2 fixtures for the 0.01° cell (118.6..118.61, 32..32.01)
// and the 0.3° cell (118.5..118.8, 31.9..32.2):
//
//	SELECT ST_Area(g::geography, true), ST_Area(g::geography, false)
var postgisAreas = []struct {
	name             string
	cell             orb.Bound
	spheroid, sphere float64
}{
	{"0.01° cell", orb.Bound{Min: orb.Point{118.6, 32}, Max: orb.Point{118.61, 32.01}}, 1047748.261, 1048498.797},
	{"0.3° cell", orb.Bound{Min: orb.Point{118.5, 31.9}, Max: orb.Point{118.8, 32.2}}, 942518461.8, 943184685.8},
}

// cellArea is the exact area of a lon/lat cell on the sphere:
// R²·Δλ·(sin φ2 − sin φ1).
func cellArea(b orb.Bound) float64 {
	rad := math.Pi / 180
	return EarthRadiusM * EarthRadiusM * (b.Max[0] - b.Min[0]) * rad * (math.Sin(b.Max[1]*rad) - math.Sin(b.Min[1]*rad))
}

func TestAreaM2(t *testing.T) {
	for _, tc := range postgisAreas {
		t.Run(tc.name, func(t *testing.T) {
			got := AreaM2(tc.cell.ToPolygon())
			if want := cellArea(tc.cell); math.Abs(got-want) > 1e-9*want {
				t.Errorf("AreaM2 = %.3f, exact cell area %.3f", got, want)
			}
			// PostGIS's sphere has radius R1 and great-circle edges (ours
			// follow parallels), so agreement is to the edge shape: 1e-4.
			sphere := tc.sphere * (EarthRadiusM / postgisMeanRadiusM) * (EarthRadiusM / postgisMeanRadiusM)
			if rel := math.Abs(got-sphere) / sphere; rel > 1e-4 {
				t.Errorf("AreaM2 = %.3f, PostGIS sphere (rescaled) %.3f: %.5f %% off", got, sphere, 100*rel)
			}
			if rel := math.Abs(got-tc.spheroid) / tc.spheroid; rel > 0.005 {
				t.Errorf("AreaM2 = %.3f, PostGIS spheroid %.3f: %.3f %% off", got, tc.spheroid, 100*rel)
			}
		})
	}
	outer := orb.Bound{Min: orb.Point{118.6, 32}, Max: orb.Point{118.62, 32.02}}
	inner := orb.Bound{Min: orb.Point{118.605, 32.005}, Max: orb.Point{118.61, 32.01}}
	holed := orb.Polygon{outer.ToPolygon()[0], inner.ToPolygon()[0].Clone()}
	holed[1].Reverse()
	tests := []struct {
		name string
		g    orb.Geometry
		want float64
	}{
		{"hole subtracted", holed, cellArea(outer) - cellArea(inner)},
		{"multipolygon sums", orb.MultiPolygon{outer.ToPolygon(), orb.Bound{Min: orb.Point{119, 32}, Max: orb.Point{119.01, 32.01}}.ToPolygon()},
			cellArea(outer) + cellArea(orb.Bound{Min: orb.Point{119, 32}, Max: orb.Point{119.01, 32.01}})},
		{"clockwise same", orb.Polygon{func() orb.Ring { r := outer.ToPolygon()[0].Clone(); r.Reverse(); return r }()}, cellArea(outer)},
		{"point", orb.Point{118.6, 32}, 0},
		{"line", orb.LineString{{118.6, 32}, {118.7, 32.1}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AreaM2(tc.g); math.Abs(got-tc.want) > 1e-9*math.Max(1, tc.want) {
				t.Fatalf("AreaM2 = %.3f, want %.3f", got, tc.want)
			}
		})
	}
}

func TestPerimeterM(t *testing.T) {
	r := EarthRadiusM
	rad := math.Pi / 180
	// A 1°×1° equatorial cell: the bottom edge is on the equator and the
	// sides are meridians (exact); the top edge is a great-circle chord at
	// 1°N, 2·asin(cos 1° · sin 0.5°).
	cell := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}.ToPolygon()
	want := r * (3*rad + 2*math.Asin(math.Cos(rad)*math.Sin(rad/2)))
	if got := PerimeterM(cell); math.Abs(got-want) > 1e-8*want { // haversine rounding: ~1e-9

		t.Fatalf("PerimeterM(1° cell) = %.6f, want %.6f", got, want)
	}
	holed := orb.Polygon{cell[0], orb.Bound{Min: orb.Point{0.25, 0.25}, Max: orb.Point{0.5, 0.5}}.ToPolygon()[0]}
	if got, want := PerimeterM(holed), PerimeterM(cell)+PerimeterM(orb.Polygon{holed[1]}); math.Abs(got-want) > 1e-6 {
		t.Fatalf("PerimeterM with hole = %.3f, want shell + hole %.3f", got, want)
	}
	if got := PerimeterM(orb.MultiPolygon{cell, cell}); math.Abs(got-2*PerimeterM(cell)) > 1e-6 {
		t.Fatalf("PerimeterM of two parts = %.3f", got)
	}
	if PerimeterM(orb.LineString{{0, 0}, {1, 1}}) != 0 {
		t.Fatal("a line has no perimeter")
	}
}

// metricPolygon builds a regular n-gon of circumradius rM metres around
// (lon, lat), converting local metres to degrees so that it is regular on
// the ground, not in degrees.
func metricPolygon(n int, rM, rot, lon, lat float64) orb.Polygon {
	degLat := 180 / (math.Pi * EarthRadiusM)
	degLon := degLat / math.Cos(lat*math.Pi/180)
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		a := rot + 2*math.Pi*float64(i)/float64(n)
		ring = append(ring, orb.Point{lon + rM*math.Cos(a)*degLon, lat + rM*math.Sin(a)*degLat})
	}
	return orb.Polygon{append(ring, ring[0])}
}

func TestPolsbyPopper(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
		want float64
	}{
		{"square", metricPolygon(4, 300, math.Pi/4, 118.63, 32.06), math.Pi / 4},
		{"regular hexagon", metricPolygon(6, 300, 0, 118.63, 32.06), math.Pi / (2 * math.Sqrt(3))},
		{"near-disc 256-gon", metricPolygon(256, 300, 0, 118.63, 32.06), 256 * math.Sin(2*math.Pi/256) / 2 * 4 * math.Pi / math.Pow(256*2*math.Sin(math.Pi/256), 2)},
		{"10:1 rectangle", orb.Polygon{{{118.6, 32}, {118.6 + 0.01/math.Cos(32*math.Pi/180), 32}, {118.6 + 0.01/math.Cos(32*math.Pi/180), 32.001}, {118.6, 32.001}, {118.6, 32}}},
			4 * math.Pi * 10 / (22 * 22)},
		{"point", orb.Point{1, 2}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 300 m shapes: the sphere and our degree conversion distort
			// them by well under 0.1 %.
			if got := PolsbyPopper(tc.g); math.Abs(got-tc.want) > 1e-3*math.Max(tc.want, 1e-3) {
				t.Fatalf("PolsbyPopper = %.6f, want %.6f", got, tc.want)
			}
		})
	}
}

func BenchmarkDistanceM(b *testing.B) {
	b.ReportAllocs()
	p, q := orb.Point{118.6275, 32.0589}, orb.Point{118.7784, 32.0416}
	s := 0.0
	for b.Loop() {
		s += DistanceM(p, q)
	}
	_ = s
}

func BenchmarkAreaM2(b *testing.B) {
	for _, n := range []int{4, 100, 5000} {
		p := metricPolygon(n, 2000, 0, 118.63, 32.06)
		b.Run(fmt.Sprintf("vertices=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			s := 0.0
			for b.Loop() {
				s += AreaM2(p)
			}
			_ = s
		})
	}
}
