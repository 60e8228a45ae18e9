package gpkg

import (
	"strconv"
	"strings"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// column is a property column of a feature layer. Filters compare with
// equality; integer columns parse the filter value.
type column struct {
	name  string
	isInt bool
}

// layerDef maps a store.Layer to its table. The property lists match
// store/postgis's, so that both stores return the same features.
type layerDef struct {
	table string
	id    string // the column that is the feature id
	props []column
}

var layerDefs = map[store.Layer]layerDef{
	store.Streets:     {"streets", "code", []column{{"code", false}, {"name", false}}},
	store.Communities: {"communities", "code", []column{{"code", false}, {"name", false}, {"street_code", false}, {"kind", false}}},
	store.Grids: {"grids", "code", []column{{"code", false}, {"plan_id", true}, {"community_code", false},
		{"street_code", false}, {"kind", false}, {"households", true}, {"target", true}}},
	store.Buildings:  {"buildings", "id", []column{{"id", true}, {"households", true}, {"address", false}}},
	store.Facilities: {"facilities", "code", []column{{"code", false}, {"kind", false}, {"name", false}, {"street_code", false}, {"community_code", false}}},
	store.Patrols:    {"patrols", "id", []column{{"id", false}, {"callsign", false}, {"street_code", false}, {"status", false}, {"updated_at", false}}},
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

func (d layerDef) idIsInt() bool { c, _ := d.column(d.id); return c.isInt }

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
