package postgis

import "github.com/gridd/gridd/store"

// The layers' properties are store.Schema's, shared with store/gpkg so that
// both stores return the same features; what is PostGIS's own is how a
// property is read and where the geometry is.

// utcText formats a timestamptz as the fixed-width UTC text both stores
// return.
const utcText = `to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

// expr is the SQL expression that reads property name of a layer's row t:
// its column, or a formatting expression. Filters compare it with equality.
func expr(name string) string {
	if name == "updated_at" {
		return utcText
	}
	return "t." + name
}

// geomColumn is the layer's geometry column (a patrol's is its current
// position).
func geomColumn(l store.Layer) string {
	if l == store.Patrols {
		return "position"
	}
	return "geom"
}
