package cql2_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cql2"
)

// A filter is parsed once against the layer's queryables, then either
// matched in memory or translated to SQL with bound parameters.
func Example() {
	queryables := cql2.Schema{"kind": cql2.String, "households": cql2.Integer, "geometry": cql2.Geometry}
	e, err := cql2.Parse("kind IN ('urban','rural') AND NOT households < 300 AND S_INTERSECTS(geometry, BBOX(118.6, 32.0, 118.7, 32.1))", queryables)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e)

	grid := map[string]any{"kind": "urban", "households": int64(512)}
	fmt.Println(cql2.Match(e, grid, orb.Point{118.65, 32.05}))

	var args []any
	cond, exact := cql2.SQL(e, cql2.Dialect{
		Param:  func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) },
		Column: func(name string) string { return "t." + name },
		Intersects: func(col string, g orb.Geometry) (string, bool) {
			args = append(args, cql2.WKT(g))
			return fmt.Sprintf("ST_Intersects(%s, ST_GeomFromText($%d, 4326))", col, len(args)), true
		},
	})
	fmt.Println(cond, exact)
	fmt.Println(args)

	_, err = cql2.Parse("households > 'many'", queryables)
	fmt.Println(err)
	// Output:
	// kind IN ('urban', 'rural') AND NOT households < 300 AND S_INTERSECTS(geometry, BBOX(118.6, 32, 118.7, 32.1))
	// true
	// ((t.kind IN ($1, $2)) AND (NOT (t.households < $3)) AND ST_Intersects(t.geometry, ST_GeomFromText($4, 4326))) true
	// [urban rural 300 POLYGON((118.6 32, 118.7 32, 118.7 32.1, 118.6 32.1, 118.6 32))]
	// invalid: filter: at character 1: property "households" > value 'many': cannot compare integer with string
}
