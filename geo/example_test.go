package geo_test

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/geo"
)

// Coordinate systems and measures (helper geo-basics). Examples for the
// point location and nearest-unit indexes follow below.

func ExampleParseCRS() {
	for _, s := range []string{"GCJ02", "EPSG:4326", "EPSG:4490", "bd09ll"} {
		c, err := geo.ParseCRS(s)
		fmt.Printf("%q → %q %v\n", s, c, err)
	}
	// Output:
	// "GCJ02" → "gcj02" <nil>
	// "EPSG:4326" → "wgs84" <nil>
	// "EPSG:4490" → "cgcs2000" <nil>
	// "bd09ll" → "" invalid: crs: unknown coordinate system "bd09ll"; want wgs84, cgcs2000, gcj02 or bd09
}

func ExampleCRS_UnmarshalText() {
	var req struct {
		CRS geo.CRS `json:"crs"`
	}
	err := json.Unmarshal([]byte(`{"crs": "GCJ-02"}`), &req)
	fmt.Println(req.CRS, err)
	// Output: gcj02 <nil>
}

func ExampleCRS_String() {
	fmt.Println(geo.GCJ02.String(), geo.CGCS2000)
	// Output: gcj02 cgcs2000
}

func ExampleCRS_MarshalText() {
	b, err := geo.BD09.MarshalText()
	fmt.Println(string(b), err)
	_, err = geo.CRS("mars").MarshalText()
	fmt.Println(err)
	// Output:
	// bd09 <nil>
	// invalid: crs: unknown coordinate system "mars"
}

func ExampleToWGS84() {
	// A point picked on an Amap (GCJ-02) map near Pukou's government
	// building, stored as WGS84.
	picked := orb.Point{118.632529, 32.056694}
	w := geo.ToWGS84(geo.GCJ02, picked)
	fmt.Printf("%.6f %.0f m\n", w, geo.DistanceM(w, picked))
	// Output: [118.627500 32.058900] 534 m
}

func ExampleFromWGS84() {
	w := orb.Point{118.6275, 32.0589}
	for _, c := range []geo.CRS{geo.WGS84, geo.CGCS2000, geo.GCJ02, geo.BD09} {
		fmt.Printf("%-8s %.6f\n", c, geo.FromWGS84(c, w))
	}
	// Output:
	// wgs84    [118.627500 32.058900]
	// cgcs2000 [118.627500 32.058900]
	// gcj02    [118.632529 32.056694]
	// bd09     [118.639120 32.062415]
}

func ExampleWGS84ToGCJ02() {
	// googollee/eviltransform's Shanghai test pair.
	fmt.Printf("%.9f\n", geo.WGS84ToGCJ02(orb.Point{121.5272106, 31.1774276}))
	// Output: [121.531541859 31.175303984]
}

func ExampleGCJ02ToWGS84() {
	w := geo.GCJ02ToWGS84(orb.Point{121.531541859215, 31.17530398364597})
	fmt.Printf("%.7f, %.3f m from the published WGS84 point\n", w, geo.DistanceM(w, orb.Point{121.5272106, 31.1774276}))
	// Output: [121.5272106 31.1774276], 0.000 m from the published WGS84 point
}

func ExampleGCJ02ToBD09() {
	// wandergis/coordtransform's published pair.
	fmt.Printf("%.9f\n", geo.GCJ02ToBD09(orb.Point{116.404, 39.915}))
	// Output: [116.410369494 39.921336994]
}

func ExampleBD09ToGCJ02() {
	g := orb.Point{116.404, 39.915}
	back := geo.BD09ToGCJ02(geo.GCJ02ToBD09(g))
	fmt.Printf("%.9f\n", back)
	// Output: [116.404000000 39.915000000]
}

func ExampleWGS84ToBD09() {
	fmt.Printf("%.6f\n", geo.WGS84ToBD09(orb.Point{118.6275, 32.0589}))
	// Output: [118.639120 32.062415]
}

func ExampleBD09ToWGS84() {
	w := geo.BD09ToWGS84(orb.Point{118.639120, 32.062415})
	fmt.Printf("%.6f\n", w)
	// Output: [118.627500 32.058900]
}

func ExampleOutOfChina() {
	fmt.Println(geo.OutOfChina(orb.Point{118.63, 32.06}), geo.OutOfChina(orb.Point{-0.13, 51.51}))
	london := orb.Point{-0.13, 51.51}
	fmt.Println(geo.WGS84ToGCJ02(london) == london)
	// Output:
	// false true
	// true
}

func ExampleValidatePolygon() {
	bowTie := orb.Polygon{{{118.60, 32.00}, {118.61, 32.01}, {118.61, 32.00}, {118.60, 32.01}, {118.60, 32.00}}}
	fmt.Println(geo.ValidatePolygon(bowTie))
	square := orb.Polygon{{{118.60, 32.00}, {118.61, 32.00}, {118.61, 32.01}, {118.60, 32.01}, {118.60, 32.00}}}
	fmt.Println(geo.ValidatePolygon(square))
	// Output:
	// invalid: polygon 0, ring 0, vertex 0: ring crosses itself: edge from vertex 0 crosses edge from vertex 2
	// <nil>
}

func ExampleValidateMultiPolygon() {
	a := orb.Polygon{{{118.60, 32.00}, {118.62, 32.00}, {118.62, 32.02}, {118.60, 32.02}, {118.60, 32.00}}}
	b := orb.Polygon{{{118.61, 32.01}, {118.63, 32.01}, {118.63, 32.03}, {118.61, 32.03}, {118.61, 32.01}}}
	fmt.Println(geo.ValidateMultiPolygon(orb.MultiPolygon{a, b}))
	// Output: invalid: polygon 1, ring 0, vertex 0: overlaps polygon 0: its edge crosses polygon 0 ring 0 edge from vertex 1
}

func ExampleDistanceM() {
	pukou, xinjiekou := orb.Point{118.6275, 32.0589}, orb.Point{118.7784, 32.0416}
	fmt.Printf("%.0f m\n", geo.DistanceM(pukou, xinjiekou))
	// Output: 14367 m
}

func ExampleAreaM2() {
	cell := orb.Bound{Min: orb.Point{118.6, 32}, Max: orb.Point{118.61, 32.01}}.ToPolygon()
	fmt.Printf("%.0f m²\n", geo.AreaM2(cell))
	// Output: 1050846 m²
}

func ExamplePerimeterM() {
	cell := orb.Bound{Min: orb.Point{118.6, 32}, Max: orb.Point{118.61, 32.01}}.ToPolygon()
	fmt.Printf("%.0f m\n", geo.PerimeterM(cell))
	// Output: 4114 m
}

func ExamplePolsbyPopper() {
	// 0.01° × 0.01° is not square on the ground at 32°N: it is 944 m by
	// 1113 m, so slightly less compact than a square's π/4 ≈ 0.785.
	cell := orb.Bound{Min: orb.Point{118.6, 32}, Max: orb.Point{118.61, 32.01}}.ToPolygon()
	fmt.Printf("%.3f\n", geo.PolsbyPopper(cell))
	// Output: 0.780
}
