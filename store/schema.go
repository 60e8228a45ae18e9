package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// Property is a property of a feature layer. Filters compare with
// equality; an integer property parses the filter value. A DateTime
// property is RFC 3339 UTC text (NULL when unknown).
type Property struct {
	Name     string
	Int      bool
	DateTime bool
}

// Type is the property's JSON Schema type ("integer" or "string"); Format
// is its JSON Schema format ("date-time" or "").
func (p Property) Type() string {
	if p.Int {
		return "integer"
	}
	return "string"
}

// Format is the property's JSON Schema string format, "" for none.
func (p Property) Format() string {
	if p.DateTime {
		return "date-time"
	}
	return ""
}

// LayerSchema is what every backend returns for a layer: the property that
// is the feature id and the properties in the order they are read. It is
// derived from the layer's description (Descriptions) for all backends so
// that they return the same features; each backend adds only how it reads
// a property (its table and SQL).
type LayerSchema struct {
	Layer Layer
	ID    string // the property that is the feature id
	RowID bool   // ID is the table's integer row key, read as text
	Props []Property
}

// Schema returns layer l's schema, or an Invalid error naming the known
// layers.
func Schema(l Layer) (LayerSchema, error) {
	d, ok := Describe(l)
	if !ok {
		names := make([]string, len(Layers))
		for i, l := range Layers {
			names[i] = string(l)
		}
		return LayerSchema{}, errs.E(errs.Invalid, "layer", "unknown layer %q (known: %s)", l, strings.Join(names, ", "))
	}
	return d.Schema(), nil
}

// Property returns the layer's property called name.
func (s LayerSchema) Property(name string) (Property, bool) {
	for _, p := range s.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

func (s LayerSchema) noProperty(name string) error {
	names := make([]string, len(s.Props))
	for i, p := range s.Props {
		names[i] = p.Name
	}
	return errs.E(errs.Invalid, "filter."+name, "layer %s has no property %q (filterable: %s)", s.Layer, name, strings.Join(names, ", "))
}

// GeometryProperty is the name filters give a layer's geometry.
const GeometryProperty = "geometry"

// Queryables are the properties a CQL2 filter may use on the layer, with
// their types, and its geometry as GeometryProperty.
func (s LayerSchema) Queryables() cql2.Schema {
	q := cql2.Schema{GeometryProperty: cql2.Geometry}
	for _, p := range s.Props {
		q[p.Name] = cql2.String
		if p.Int {
			q[p.Name] = cql2.Integer
		}
	}
	return q
}

// Select returns the schema reading only the properties in names, the id
// and the properties q's filter uses (which the stores that check a
// filter in memory need); Trim then drops what was not asked for.
func (s LayerSchema) Select(q Query) LayerSchema {
	if q.Properties == nil {
		return s
	}
	keep := map[string]bool{s.ID: true}
	for _, n := range q.Properties {
		keep[n] = true
	}
	if q.Filter != nil {
		for _, n := range cql2.Props(q.Filter) {
			keep[n] = true
		}
	}
	out := s
	out.Props = nil
	for _, p := range s.Props {
		if keep[p.Name] {
			out.Props = append(out.Props, p)
		}
	}
	return out
}

// Trim removes from f the properties q did not ask for.
func Trim(f *Feature, q Query) {
	if q.Properties == nil {
		return
	}
	keep := make(map[string]bool, len(q.Properties))
	for _, n := range q.Properties {
		keep[n] = true
	}
	for k := range f.Props {
		if !keep[k] {
			delete(f.Props, k)
		}
	}
}

// FilterArg converts filter value v for property name into the value the
// store compares with: an int64 for an integer property, else v.
func (s LayerSchema) FilterArg(name, v string) (any, error) {
	p, ok := s.Property(name)
	if !ok {
		return nil, s.noProperty(name)
	}
	if !p.Int {
		return v, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, errs.E(errs.Invalid, "filter."+name, "%q is not an integer", v)
	}
	return n, nil
}

// Feature builds one feature from a row a backend has read: value(i) is
// property i's value (an int64 or string, nil when NULL) and g its
// geometry. The id is the id property's value as text.
func (s LayerSchema) Feature(value func(i int) any, g orb.Geometry) Feature {
	f := Feature{Geom: g, Props: make(map[string]any, len(s.Props))}
	for i, p := range s.Props {
		v := value(i)
		f.Props[p.Name] = v
		if p.Name == s.ID {
			f.ID, _ = v.(string) // ids are text in every layer; NULL gives ""
		}
	}
	return f
}

// FeatureByID is Store.Feature for any backend, in terms of its Features:
// one feature of layer by id, plan selecting the grids' plan (0: the
// published one). Ids are opaque text in every layer.
func FeatureByID(ctx context.Context, features func(context.Context, Query) (Page, error), layer Layer, plan gridplan.PlanID, id string) (Feature, error) {
	s, err := Schema(layer)
	if err != nil {
		return Feature{}, err
	}
	page, err := features(ctx, Query{Layer: layer, Plan: plan, Filters: map[string]string{s.ID: id}, Limit: 1})
	if err != nil {
		return Feature{}, err
	}
	if len(page.Features) == 0 {
		return Feature{}, errs.E(errs.NotFound, string(layer), "no %s feature %q", layer, id)
	}
	return page.Features[0], nil
}

// Rows is the part of a driver's result set the shared scanners use;
// database/sql's *Rows and pgx's Rows both have it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanGrids reads a plan's grids from rows of (code, community_code,
// street_code, kind, households, target, geometry blob), decoding each
// blob with the backend's decode.
func ScanGrids(rows Rows, decode func([]byte) (orb.MultiPolygon, error)) ([]gridplan.Grid, error) {
	var out []gridplan.Grid
	var blob []byte
	for rows.Next() {
		var g gridplan.Grid
		if err := rows.Scan(&g.Code, &g.Community, &g.Street, &g.Kind, &g.Households, &g.Target, &blob); err != nil {
			return nil, err
		}
		var err error
		if g.Geom, err = decode(blob); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// nullable is a pointer to a driver's nullable scan target that reports
// what it read through driver.Valuer (nil when NULL): database/sql's Null
// types and pgx's pgtype ones both are.
type nullable[T any] interface {
	*T
	driver.Valuer
}

// ScanFeature reads one feature row of s's properties, in order, then the
// geometry blob, which decode turns into the geometry. S and I are the
// driver's nullable text and integer types (sql.NullString and
// sql.NullInt64, or pgtype.Text and pgtype.Int8).
func ScanFeature[S, I any, PS nullable[S], PI nullable[I]](s LayerSchema, scan func(dest ...any) error, decode func([]byte) (orb.Geometry, error)) (Feature, error) {
	vals := make([]any, len(s.Props)+1)
	strs := make([]S, len(s.Props))
	ints := make([]I, len(s.Props))
	for i, p := range s.Props {
		if p.Int {
			vals[i] = PI(&ints[i])
		} else {
			vals[i] = PS(&strs[i])
		}
	}
	var blob []byte
	vals[len(s.Props)] = &blob
	if err := scan(vals...); err != nil {
		return Feature{}, err
	}
	var g orb.Geometry // a NULL geometry (an unlocated incident) stays nil
	if blob != nil {
		var err error
		if g, err = decode(blob); err != nil {
			return Feature{}, err
		}
	}
	var valErr error
	f := s.Feature(func(i int) any {
		var v driver.Value
		var err error
		if s.Props[i].Int {
			v, err = PI(&ints[i]).Value()
		} else {
			v, err = PS(&strs[i]).Value()
		}
		if err != nil && valErr == nil {
			valErr = err
		}
		return v
	}, g)
	if valErr != nil {
		return Feature{}, valErr
	}
	return f, nil
}

// EachRow calls scan for every row of rows, stopping at the first error.
func EachRow(rows Rows, scan func(r Rows) error) error {
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScanStreet reads a street row of (code, name, geometry blob).
func ScanStreet(r interface{ Scan(dest ...any) error }, decode func([]byte) (orb.MultiPolygon, error)) (bundle.Street, error) {
	var s bundle.Street
	var blob []byte
	if err := r.Scan(&s.Code, &s.Name, &blob); err != nil {
		return s, err
	}
	var err error
	s.Geom, err = decode(blob)
	return s, err
}

// ScanCommunity reads a community row of (code, name, street_code, kind,
// geometry blob).
func ScanCommunity(r interface{ Scan(dest ...any) error }, decode func([]byte) (orb.MultiPolygon, error)) (bundle.Community, error) {
	var c bundle.Community
	var blob []byte
	if err := r.Scan(&c.Code, &c.Name, &c.Street, &c.Kind, &blob); err != nil {
		return c, err
	}
	var err error
	c.Geom, err = decode(blob)
	return c, err
}

// IDLess orders ids made only of digits numerically, however long
// (building 9 before building 10, 20-digit address codes included), before
// all other ids, which order bytewise (B0000001 before B0000002). It is a
// strict order: ids are opaque strings and never parsed into numbers.
// Both stores list features in this order (their idOrder) and the
// service's in-memory layers sort by it.
func IDLess(a, b string) bool {
	da, db := allDigits(a), allDigits(b)
	switch {
	case da != db:
		return da
	case da && len(a) != len(b):
		return len(a) < len(b)
	}
	return a < b
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
