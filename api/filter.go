package api

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// OGC API – Features Part 3 (Filtering) and CQL2: a filter parameter in
// CQL2 text, parsed once into a cql2 tree that the catalogue evaluates in
// memory and the store translates to SQL; sortby and properties; and each
// collection's queryables as JSON Schema.

const mediaSchemaJSON = "application/schema+json"

// filterConformance are the Part 3 and CQL2 classes gridd implements.
var filterConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
}

// layerGeometry is the geometry type of each layer's features, for the
// queryables document.
var layerGeometry = map[store.Layer]string{
	store.Streets: "multipolygon", store.Communities: "multipolygon", store.Grids: "multipolygon",
	store.Buildings: "point", store.Facilities: "point", store.Patrols: "point",
}

// queryables returns what filter, sortby and properties may name on layer
// l: the store schema's properties with their types, and the geometry.
func queryables(l store.Layer) (cql2.Schema, error) {
	s, err := store.Schema(l)
	if err != nil {
		return nil, err
	}
	return s.Queryables(), nil
}

// queryableNames lists q's names except the geometry, sorted.
func queryableNames(q cql2.Schema) []string {
	out := make([]string, 0, len(q))
	for n, t := range q {
		if t != cql2.Geometry {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// parseFilterParams reads filter, filter-lang, filter-crs, sortby and
// properties into q.
func parseFilterParams(v url.Values, l store.Layer, q *itemsQuery) error {
	if len(v["filter"]) == 0 && len(v["sortby"]) == 0 && len(v["properties"]) == 0 &&
		len(v["filter-lang"]) == 0 && len(v["filter-crs"]) == 0 {
		return nil
	}
	schema, err := queryables(l)
	if err != nil {
		return err
	}
	one := func(name string) (string, bool, error) {
		vs, ok := v[name]
		if ok && len(vs) != 1 {
			return "", false, errs.E(errs.Invalid, name, "given %d times; give it once", len(vs))
		}
		if !ok {
			return "", false, nil
		}
		return vs[0], true, nil
	}
	if s, ok, err := one("filter-lang"); err != nil {
		return err
	} else if ok && s != "cql2-text" && s != "cql-text" { // cql-text: the draft's name, which GDAL 3.6 sends
		return errs.E(errs.Invalid, "filter-lang", "%q is not served; filters are cql2-text", clip.Text(s, 40))
	}
	if s, ok, err := one("filter-crs"); err != nil {
		return err
	} else if ok && s != CRS84URI {
		return errs.E(errs.Invalid, "filter-crs", "%q is not served; filter geometries are in %s (lon, lat)", clip.Text(s, 80), CRS84URI)
	}
	if s, ok, err := one("filter"); err != nil {
		return err
	} else if ok {
		if q.filter, err = cql2.Parse(s, schema); err != nil {
			return err
		}
	}
	if s, ok, err := one("sortby"); err != nil {
		return err
	} else if ok {
		if q.sortBy, err = parseSortBy(s, schema); err != nil {
			return err
		}
	}
	if s, ok, err := one("properties"); err != nil {
		return err
	} else if ok {
		if q.props, err = parseProperties(s, schema); err != nil {
			return err
		}
	}
	return nil
}

// parseSortBy reads sortby=+a,-b,c: ascending unless the name starts with
// '-'. A '+' that arrived unencoded reads as a space, so leading spaces
// are trimmed. Each name must be a non-geometry queryable, given once.
func parseSortBy(s string, schema cql2.Schema) ([]store.SortKey, error) {
	var out []store.SortKey
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		k := store.SortKey{}
		name := strings.TrimSpace(item)
		switch {
		case strings.HasPrefix(name, "-"):
			k.Desc = true
			name = name[1:]
		case strings.HasPrefix(name, "+"):
			name = name[1:]
		}
		t, ok := schema[name]
		switch {
		case name == "":
			return nil, errs.E(errs.Invalid, "sortby", "an empty sort key; give +name or -name, comma-separated")
		case !ok || t == cql2.Geometry:
			return nil, errs.E(errs.Invalid, "sortby", "cannot sort by %q; sortable properties are %s", clip.Text(name, 60), strings.Join(queryableNames(schema), ", "))
		case seen[name]:
			return nil, errs.E(errs.Invalid, "sortby", "%q is given twice", name)
		}
		seen[name] = true
		k.Prop = name
		out = append(out, k)
	}
	return out, nil
}

// parseProperties reads properties=a,b: the properties to return, each a
// non-geometry queryable; an empty value returns none.
func parseProperties(s string, schema cql2.Schema) ([]string, error) {
	out := []string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		name := strings.TrimSpace(item)
		if t, ok := schema[name]; !ok || t == cql2.Geometry {
			return nil, errs.E(errs.Invalid, "properties", "there is no property %q; properties are %s", clip.Text(name, 60), strings.Join(queryableNames(schema), ", "))
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// sortEntries orders es by keys, stably (so ties keep id order), the way
// the stores order: NULL after every value ascending and before them
// descending, strings bytewise, numbers numerically.
func sortEntries(es []*entry, keys []store.SortKey) {
	sort.SliceStable(es, func(i, j int) bool {
		for _, k := range keys {
			c := compareProps(es[i].f.Props[k.Prop], es[j].f.Props[k.Prop])
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// compareProps orders two property values of one property, NULL last.
func compareProps(a, b any) int {
	an, bn := numberOf(a), numberOf(b)
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case an != nil && bn != nil:
		switch {
		case *an < *bn:
			return -1
		case *an > *bn:
			return 1
		}
		return 0
	}
	return strings.Compare(propString(a), propString(b))
}

func numberOf(v any) *float64 {
	var f float64
	switch v := v.(type) {
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	case float64:
		f = v
	default:
		return nil
	}
	return &f
}

// selectProps returns a copy of f holding only the named properties.
func selectProps(f *store.Feature, names []string) store.Feature {
	out := store.Feature{ID: f.ID, Geom: f.Geom, Props: make(map[string]any, len(names))}
	for _, n := range names {
		if v, ok := f.Props[n]; ok {
			out.Props[n] = v
		}
	}
	return out
}

// queryablesDoc is GET /collections/{collectionId}/queryables: the
// properties a filter may use, as a JSON Schema (OGC API Features Part 3).
func (s *Server) queryablesDoc(w http.ResponseWriter, r *http.Request) error {
	ci, err := collectionByID(mux.Vars(r)["collectionId"])
	if err != nil {
		return err
	}
	if err := s.checkAny(r, ci.Readers...); err != nil {
		return err
	}
	ct, err := negotiate(r, mediaSchemaJSON, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	schema, err := queryables(ci.Layer)
	if err != nil {
		return err
	}
	props := map[string]any{}
	var legacy []map[string]string // the draft's list, which GDAL up to 3.6 reads
	for _, name := range append(queryableNames(schema), store.GeometryProperty) {
		t := schema[name]
		p := map[string]any{"title": name}
		switch t {
		case cql2.Geometry:
			p["format"] = "geometry-" + layerGeometry[ci.Layer]
			p["x-ogc-role"] = "primary-geometry"
		case cql2.Integer:
			p["type"] = "integer"
		case cql2.Number:
			p["type"] = "number"
		case cql2.Boolean:
			p["type"] = "boolean"
		default:
			p["type"] = "string"
		}
		props[name] = p
		if t != cql2.Geometry {
			legacy = append(legacy, map[string]string{"id": name, "type": p["type"].(string)})
		}
	}
	id := string(ci.Layer)
	return writeJSON(w, r, http.StatusOK, ct, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  baseURL(r) + "/collections/" + id + "/queryables",
		"type":                 "object",
		"title":                ci.Title,
		"properties":           props,
		"additionalProperties": false,
		"queryables":           legacy,
	})
}
