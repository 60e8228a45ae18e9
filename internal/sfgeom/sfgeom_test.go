package sfgeom

import (
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/peterstace/simplefeatures/geom"
)

// square is the closed ring of the axis-aligned square [x0,x1]×[y0,y1],
// counter-clockwise when ccw.
func square(x0, y0, x1, y1 float64, ccw bool) orb.Ring {
	r := orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	if !ccw {
		r.Reverse()
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		in   orb.MultiPolygon
	}{
		{"empty", nil},
		{"square", orb.MultiPolygon{{square(0, 0, 1, 1, true)}}},
		{"clockwise kept as is", orb.MultiPolygon{{square(0, 0, 1, 1, false)}}},
		{"hole", orb.MultiPolygon{{square(0, 0, 4, 4, true), square(1, 1, 2, 2, false)}}},
		{"two holes", orb.MultiPolygon{{square(0, 0, 4, 4, true), square(1, 1, 2, 2, false), square(2.5, 2.5, 3, 3, false)}}},
		{"multipolygon", orb.MultiPolygon{
			{square(0, 0, 1, 1, true)},
			{square(2, 0, 5, 3, true), square(3, 1, 4, 2, false)},
		}},
		{"lon/lat bits", orb.MultiPolygon{{{{118.57000000000001, 32.05}, {118.6, 32.049999999999997}, {118.59, 32.1}, {118.57000000000001, 32.05}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := FromOrb(tc.in)
			if g.Type() != geom.TypeMultiPolygon {
				t.Fatalf("FromOrb gave %v, want MultiPolygon", g.Type())
			}
			if err := g.Validate(); err != nil {
				t.Fatalf("FromOrb gave an invalid geometry: %v", err)
			}
			if got, want := g.MustAsMultiPolygon().NumPolygons(), len(tc.in); got != want {
				t.Fatalf("FromOrb: %d polygons, want %d", got, want)
			}
			if got := ToOrb(g); !reflect.DeepEqual(got, tc.in) {
				t.Errorf("ToOrb(FromOrb(in)) = %v, want %v (vertex for vertex)", got, tc.in)
			}
			// Oriented output differs from the input only in ring direction.
			got := ToOrbRFC7946(g)
			if len(got) != len(tc.in) {
				t.Fatalf("ToOrbRFC7946: %d polygons, want %d", len(got), len(tc.in))
			}
			for pi, p := range got {
				checkOrientation(t, p)
				for ri, r := range p {
					in := tc.in[pi][ri]
					if !reflect.DeepEqual(r, in) {
						rev := in.Clone()
						rev.Reverse()
						if !reflect.DeepEqual(r, rev) {
							t.Errorf("ToOrbRFC7946 ring %d.%d = %v, want %v or its reverse", pi, ri, r, in)
						}
					}
				}
			}
		})
	}
}

func checkOrientation(t *testing.T, p orb.Polygon) {
	t.Helper()
	for ri, r := range p {
		if ccw := SignedArea(r[:len(r)-1]) > 0; ccw != (ri == 0) {
			t.Errorf("ring %d counter-clockwise=%v, want exterior CCW and holes CW", ri, ccw)
		}
	}
}

func TestToOrbKeepsArealParts(t *testing.T) {
	poly := geom.NewPolygon([]geom.LineString{
		geom.NewLineString(geom.NewSequence([]float64{0, 0, 1, 0, 1, 1, 0, 0}, geom.DimXY)),
	})
	line := geom.NewLineString(geom.NewSequence([]float64{5, 5, 6, 6}, geom.DimXY))
	pt := geom.NewPoint(geom.Coordinates{XY: geom.XY{X: 7, Y: 7}, Type: geom.DimXY})
	cases := []struct {
		name string
		in   geom.Geometry
		want orb.MultiPolygon
	}{
		{"empty collection", geom.NewGeometryCollection(nil).AsGeometry(), nil},
		{"empty polygon", geom.Polygon{}.AsGeometry(), nil},
		{"line only", line.AsGeometry(), nil},
		{"point only", pt.AsGeometry(), nil},
		{"polygon", poly.AsGeometry(), orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"collection drops line and point", geom.NewGeometryCollection([]geom.Geometry{
			line.AsGeometry(), poly.AsGeometry(), pt.AsGeometry(), geom.Polygon{}.AsGeometry(),
		}).AsGeometry(), orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ToOrb(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ToOrb = %v, want %v", got, tc.want)
			}
			if got := ToOrbRFC7946(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ToOrbRFC7946 = %v, want %v", got, tc.want)
			}
		})
	}
}

func area(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		a += planar.Area(p) // exterior minus holes, orientation-free
	}
	return a
}

func TestOverlay(t *testing.T) {
	a := orb.MultiPolygon{{square(0, 0, 2, 2, true)}}
	right := orb.MultiPolygon{{square(2, 0, 4, 2, false)}} // touches a along x=2
	inner := orb.MultiPolygon{{square(0.5, 0.5, 1.5, 1.5, true)}}
	far := orb.MultiPolygon{{square(10, 10, 11, 11, true)}}
	cases := []struct {
		name      string
		run       func() (orb.MultiPolygon, error)
		wantArea  float64
		wantParts int
		wantHoles int
	}{
		{"union of neighbours is one polygon", func() (orb.MultiPolygon, error) { return Union(a, right) }, 8, 1, 0},
		{"union of disjoint keeps both", func() (orb.MultiPolygon, error) { return Union(a, far) }, 5, 2, 0},
		{"union with empty", func() (orb.MultiPolygon, error) { return Union(a, nil) }, 4, 1, 0},
		{"difference cuts a hole", func() (orb.MultiPolygon, error) { return Difference(a, inner) }, 3, 1, 1},
		{"difference of neighbours leaves a", func() (orb.MultiPolygon, error) { return Difference(a, right) }, 4, 1, 0},
		{"difference of itself is empty", func() (orb.MultiPolygon, error) { return Difference(a, a) }, 0, 0, 0},
		{"intersection", func() (orb.MultiPolygon, error) { return Intersection(FromOrb(a), FromOrb(inner)) }, 1, 1, 0},
		{"intersection of neighbours drops the shared edge", func() (orb.MultiPolygon, error) {
			return Intersection(FromOrb(a), FromOrb(right))
		}, 0, 0, 0},
		{"intersection with empty", func() (orb.MultiPolygon, error) { return Intersection(FromOrb(a), FromOrb(nil)) }, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.run()
			if err != nil {
				t.Fatal(err)
			}
			if a := area(got); math.Abs(a-tc.wantArea) > 1e-12 {
				t.Errorf("area %v, want %v", a, tc.wantArea)
			}
			if len(got) != tc.wantParts {
				t.Fatalf("%d polygons, want %d: %v", len(got), tc.wantParts, got)
			}
			holes := 0
			for _, p := range got {
				holes += len(p) - 1
				checkOrientation(t, p)
			}
			if holes != tc.wantHoles {
				t.Errorf("%d holes, want %d", holes, tc.wantHoles)
			}
		})
	}
}

func TestSignedArea(t *testing.T) {
	cases := []struct {
		name string
		pts  []orb.Point
		want float64
	}{
		{"empty", nil, 0},
		{"counter-clockwise square", square(0, 0, 2, 3, true)[:4], 6},
		{"clockwise square", square(0, 0, 2, 3, false)[:4], -6},
		{"collinear", []orb.Point{{0, 0}, {1, 1}, {2, 2}}, 0},
		{"triangle off origin", []orb.Point{{10, 10}, {12, 10}, {10, 11}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := SignedArea(tc.pts); got != tc.want {
				t.Errorf("SignedArea = %v, want %v", got, tc.want)
			}
		})
	}
}
