package postgis

import "github.com/gridd/gridd/store"

// The layers' properties are store.Schema's, shared with store/gpkg so that
// both stores return the same features; what is PostGIS's own is how a
// property is read and where the geometry is.

// utcText formats timestamptz column col of row t as the fixed-width UTC
// text both stores return.
func utcText(col string) string {
	return `to_char(t.` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

// expr is the SQL expression that reads property p of layer l's row t: its
// column, or a formatting expression (date-times as UTC text, the integer
// ids of cases and incidents as text, as every feature id is). Filters
// compare it with equality.
func expr(l store.Layer, p store.Property) string {
	switch {
	case p.DateTime:
		return utcText(p.Name)
	case p.Name == "id" && intID(l):
		return "t.id::text"
	}
	return "t." + p.Name
}

// intID reports whether layer l's id column is an integer (cases and
// incidents number their rows; every other layer has text ids).
func intID(l store.Layer) bool { return l == store.Cases || l == store.Incidents }

// geomColumn is the layer's geometry column (a patrol's is its current
// position).
func geomColumn(l store.Layer) string {
	if l == store.Patrols {
		return "position"
	}
	return "geom"
}
