package postgis

import (
	"strconv"
	"strings"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// column is a property column of a feature layer: its property name and
// the SQL expression that reads it (a column, or a formatting expression).
// Filters compare the expression with equality; integer columns parse the
// filter value.
type column struct {
	name  string
	isInt bool
	expr  string
}

// layerDef maps a store.Layer to its table. The property lists match
// store/gpkg's, so that both stores return the same features.
type layerDef struct {
	table string
	id    string // the property that is the feature id
	geom  string
	props []column
}

// utcText formats a timestamptz as the fixed-width UTC text both stores
// return.
const utcText = `to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

func col(name string) column    { return column{name: name, expr: "t." + name} }
func intCol(name string) column { return column{name: name, isInt: true, expr: "t." + name} }

var layerDefs = map[store.Layer]layerDef{
	store.Streets:     {"streets", "code", "geom", []column{col("code"), col("name")}},
	store.Communities: {"communities", "code", "geom", []column{col("code"), col("name"), col("street_code"), col("kind")}},
	store.Grids: {"grids", "code", "geom", []column{col("code"), intCol("plan_id"), col("community_code"),
		col("street_code"), col("kind"), intCol("households"), intCol("target")}},
	store.Buildings:  {"buildings", "id", "geom", []column{intCol("id"), intCol("households"), col("address")}},
	store.Facilities: {"facilities", "code", "geom", []column{col("code"), col("kind"), col("name"), col("street_code"), col("community_code")}},
	store.Patrols: {"patrols", "id", "position", []column{col("id"), col("callsign"), col("street_code"), col("status"),
		{name: "updated_at", expr: utcText}}},
}

func lookupLayer(l store.Layer) (layerDef, error) {
	d, ok := layerDefs[l]
	if !ok {
		names := make([]string, len(store.Layers))
		for i, l := range store.Layers {
			names[i] = string(l)
		}
		return layerDef{}, errs.E(errs.Invalid, "layer", "unknown layer %q (known: %s)", l, strings.Join(names, ", "))
	}
	return d, nil
}

func (d layerDef) column(name string) (column, bool) {
	for _, c := range d.props {
		if c.name == name {
			return c, true
		}
	}
	return column{}, false
}

// filterArg converts a filter value for column c.
func filterArg(c column, v string) (any, error) {
	if !c.isInt {
		return v, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, errs.E(errs.Invalid, "filter."+c.name, "%q is not an integer", v)
	}
	return n, nil
}
