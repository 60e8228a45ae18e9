package geo_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/geo"
)

func square(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// Two grids share the meridian 118.6: a point on it belongs to the grid on
// its east side; the district's outer edge is inside.
func ExamplePolygonIndex_Locate() {
	ix, err := geo.NewPolygonIndex([]geo.Area{
		{Code: "320111001001001", Geom: square(118.5, 32.0, 118.6, 32.1)},
		{Code: "320111001001002", Geom: square(118.6, 32.0, 118.7, 32.1)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []orb.Point{{118.55, 32.05}, {118.6, 32.05}, {118.7, 32.05}, {118.8, 32.05}} {
		if i, ok := ix.Locate(p[0], p[1]); ok {
			fmt.Println(p, ix.Area(i).Code)
		} else {
			fmt.Println(p, "outside")
		}
	}
	// Output:
	// [118.55 32.05] 320111001001001
	// [118.6 32.05] 320111001001002
	// [118.7 32.05] 320111001001002
	// [118.8 32.05] outside
}

func ExamplePolygonIndex_Nearest() {
	ix, _ := geo.NewPolygonIndex([]geo.Area{
		{Code: "A", Geom: square(118.5, 32.0, 118.6, 32.1)},
		{Code: "B", Geom: square(118.6, 32.0, 118.7, 32.1)},
	})
	i, d := ix.Nearest(118.75, 32.05) // east of B
	fmt.Printf("%s %.0f m\n", ix.Area(i).Code, d)
	// Output: B 4718 m
}

func ExampleLocator() {
	streets := []geo.Area{{Code: "320111001", Geom: square(118.5, 32.0, 118.7, 32.1)}}
	communities := []geo.Area{{Code: "320111001001", Geom: square(118.5, 32.0, 118.7, 32.1)}}
	l, _ := geo.NewLocator(streets, communities, nil) // no plan yet: no grids
	loc, ok := l.Locate(118.65, 32.05)
	fmt.Printf("%v %q %q %q\n", ok, loc.Street, loc.Community, loc.Grid)
	_, ok = l.Locate(119, 32.05)
	fmt.Println(ok)
	// Output:
	// true "320111001" "320111001001" ""
	// false
}

func ExampleUnitIndex_Nearest() {
	ix := geo.NewUnitIndex()
	_ = ix.Upsert("patrol-1", 118.60, 32.05, geo.UnitAvailable)
	_ = ix.Upsert("patrol-2", 118.61, 32.05, geo.UnitBusy)
	_ = ix.Upsert("patrol-3", 118.63, 32.05, geo.UnitAvailable)
	available := func(_ string, st geo.UnitStatus) bool { return st == geo.UnitAvailable }
	for _, n := range ix.Nearest(118.612, 32.05, 2, available) {
		fmt.Printf("%s %.0f m\n", n.ID, n.DistanceM)
	}
	// Output:
	// patrol-1 1132 m
	// patrol-3 1698 m
}
