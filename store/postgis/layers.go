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

// expr is the SQL expression that reads property p of the row t of a
// layer with schema s: its column, or a formatting expression (date-times
// as UTC text, an integer row id as text, as every feature id is).
// Filters compare it with equality.
func expr(s store.LayerSchema, p store.Property) string {
	switch {
	case p.DateTime:
		return utcText(p.Name)
	case s.RowID && p.Name == s.ID:
		return "t." + p.Name + "::text"
	}
	return "t." + p.Name
}

// geomColumn is the layer's geometry column (a patrol's is its current
// position).
func geomColumn(l store.Layer) string {
	if l == store.Patrols {
		return "position"
	}
	return "geom"
}
