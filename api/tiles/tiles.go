// Package tiles encodes Mapbox Vector Tiles (MVT 2.1) from WGS84 features
// and describes tile sets with TileJSON 3.0.0. It is pure computation: the
// HTTP layer picks the features, calls Encode or a Source, and sets
// headers and compression.
//
// Each tile is made in tile coordinates (extent 4096): features are
// projected to Web Mercator, clipped to the tile plus a buffer (so that
// strokes do not show seams at tile edges), simplified with Douglas-Peucker
// at a tolerance of about one screen pixel (so every zoom gets the detail it
// can show and no more), stripped of repeated points and of rings that
// collapse, and oriented as the MVT specification requires (exterior rings
// positive area in tile coordinates, holes negative).
package tiles

import (
	"encoding"
	"fmt"
	"math"
	"reflect"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

const (
	// Extent is the tile coordinate range, the MVT default.
	Extent = mvt.DefaultExtent
	// Buffer is how far, in tile units, geometry is kept beyond the tile
	// edge: 1/64 of a tile, enough for line joins and labels.
	Buffer = 64
	// TolerancePx is the Douglas-Peucker tolerance in tile units: one pixel
	// of a 512-pixel tile (the size Mapbox/MapLibre GL render vector tiles
	// at), so simplification is invisible on screen.
	TolerancePx = Extent / 512
	// MaxZoom is the largest zoom Encode accepts; beyond it clients
	// overzoom. 24 keeps tile coordinates exact in float64.
	MaxZoom = 24
)

// Feature is one WGS84 feature of a layer.
type Feature struct {
	// ID is the MVT feature id; 0 means none (MVT ids are optional).
	ID uint64
	// Geometry is a Point, MultiPoint, LineString, MultiLineString,
	// Polygon or MultiPolygon in WGS84 lon/lat.
	Geometry orb.Geometry
	// Properties become tile attributes. Values may be strings, bools,
	// integers, floats, or types with a string kind, a String method or a
	// MarshalText method (typed codes); nil values are left out.
	Properties map[string]any
}

// Layer is a named set of features; the name is the MVT layer name.
type Layer struct {
	Name     string
	Features []Feature
}

// CheckTile returns errs.Invalid unless t is a tile Encode serves: zoom
// 0..MaxZoom and x, y within 0..2^z-1.
func CheckTile(t maptile.Tile) error {
	if t.Z > MaxZoom {
		return errs.E(errs.Invalid, "z", "zoom %d out of range 0..%d", t.Z, MaxZoom)
	}
	n := uint32(1) << t.Z
	if t.X >= n {
		return errs.E(errs.Invalid, "x", "x %d out of range 0..%d at zoom %d", t.X, n-1, t.Z)
	}
	if t.Y >= n {
		return errs.E(errs.Invalid, "y", "y %d out of range 0..%d at zoom %d", t.Y, n-1, t.Z)
	}
	return nil
}

// Encode makes an uncompressed MVT of tile t from WGS84 layers. Features
// that fall outside the tile (and its buffer) or collapse under
// simplification are left out; a tile with no features left is a valid,
// empty tile (layers with no features are omitted). Bad input — a tile out
// of range, a non-finite coordinate, an unsupported geometry or property
// type — is an errs.Invalid error naming the layer and feature. Encode
// does not modify layers.
func Encode(t maptile.Tile, layers []Layer) ([]byte, error) {
	if err := CheckTile(t); err != nil {
		return nil, err
	}
	tb := tileBound(t)
	out := make(mvt.Layers, 0, len(layers))
	for li := range layers {
		l := &layers[li]
		bounds, err := checkLayer(l)
		if err != nil {
			return nil, err
		}
		idx := make([]int, 0, len(l.Features))
		for i, b := range bounds {
			if b.Intersects(tb) {
				idx = append(idx, i)
			}
		}
		ml, err := encodeLayer(t, l, idx, nil)
		if err != nil {
			return nil, err
		}
		if ml != nil {
			out = append(out, ml)
		}
	}
	return marshal(out)
}

func marshal(ls mvt.Layers) ([]byte, error) {
	b, err := mvt.Marshal(ls)
	if err != nil {
		// Every value was checked before, so this is a bug.
		return nil, errs.Wrap(errs.Internal, err, "encoding the tile failed")
	}
	return b, nil
}

// tileBound is t's WGS84 bound grown by Buffer, for the bbox prefilter.
func tileBound(t maptile.Tile) orb.Bound {
	return t.Bound(float64(Buffer) / Extent)
}

// prepared is what a Source computes once per feature instead of per
// tile: geometries in unit Web Mercator and properties in orb's types.
type prepared struct {
	merc  []orb.Geometry
	props []geojson.Properties
}

func prepare(l *Layer) (*prepared, error) {
	pr := &prepared{merc: make([]orb.Geometry, len(l.Features)), props: make([]geojson.Properties, len(l.Features))}
	for i := range l.Features {
		f := &l.Features[i]
		pr.merc[i] = project.Geometry(orb.Clone(f.Geometry), mercator)
		var err error
		if pr.props[i], err = props(l.Name, i, f); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

// props returns f's properties as orb's encoder stores them: f.Properties
// itself when already so (orb only reads the map), else a converted copy
// without nil values.
func props(layer string, i int, f *Feature) (geojson.Properties, error) {
	if native(f.Properties) {
		return f.Properties, nil
	}
	m := make(geojson.Properties, len(f.Properties))
	for k, v := range f.Properties {
		nv, ok := normValue(v)
		if !ok {
			return nil, errs.E(errs.Invalid, fmt.Sprintf("layers[%s].features[%d].properties.%s", layer, i, k), "unsupported value type %T", v)
		}
		if nv != nil {
			m[k] = nv
		}
	}
	return m, nil
}

// encodeLayer makes the MVT layer of the features idx of l (already known
// to be valid), or nil when none survive. pr, when not nil, holds the
// features prepared by a Source.
func encodeLayer(t maptile.Tile, l *Layer, idx []int, pr *prepared) (*mvt.Layer, error) {
	p := newProjector(t)
	p.merc = pr != nil
	feats := make([]*geojson.Feature, 0, len(idx))
	for _, i := range idx {
		f := &l.Features[i]
		in := f.Geometry
		if pr != nil {
			in = pr.merc[i]
		}
		g := p.geometry(in)
		if g == nil {
			continue
		}
		gf := &geojson.Feature{Geometry: g}
		if f.ID != 0 {
			gf.ID = f.ID
		}
		if pr != nil {
			gf.Properties = pr.props[i]
		} else {
			var err error
			if gf.Properties, err = props(l.Name, i, f); err != nil {
				return nil, err
			}
		}
		feats = append(feats, gf)
	}
	if len(feats) == 0 {
		return nil, nil
	}
	return &mvt.Layer{Name: l.Name, Version: 2, Extent: Extent, Features: feats}, nil
}

// checkLayer rejects what would make a broken tile — an empty layer name,
// non-finite or out-of-range coordinates, unsupported geometry or property
// types — and returns the features' bounds.
func checkLayer(l *Layer) ([]orb.Bound, error) {
	if l.Name == "" {
		return nil, errs.E(errs.Invalid, "layers", "a layer has no name")
	}
	bounds := make([]orb.Bound, len(l.Features))
	for i := range l.Features {
		b, err := checkFeature(l.Name, i, &l.Features[i])
		if err != nil {
			return nil, err
		}
		bounds[i] = b
	}
	return bounds, nil
}

func checkFeature(layer string, i int, f *Feature) (orb.Bound, error) {
	// where is formatted only on error: this runs for every feature of
	// every Encode call.
	where := func(s string) string { return fmt.Sprintf("layers[%s].features[%d]%s", layer, i, s) }
	if f.Geometry == nil {
		return orb.Bound{}, errs.E(errs.Invalid, where(".geometry"), "missing geometry")
	}
	switch f.Geometry.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
	default:
		return orb.Bound{}, errs.E(errs.Invalid, where(".geometry"), "unsupported geometry type %T", f.Geometry)
	}
	b, ok := scan(f.Geometry)
	if !ok {
		return orb.Bound{}, errs.E(errs.Invalid, where(".geometry"), "empty, non-finite or out-of-range coordinates")
	}
	for k, v := range f.Properties {
		if !validValue(v) {
			return orb.Bound{}, errs.E(errs.Invalid, where(".properties."+k), "unsupported value type %T", v)
		}
	}
	return b, nil
}

// scan returns g's bound in one pass (orb's Bound is several times
// slower) and whether every coordinate is a finite lon/lat and there is
// at least one.
func scan(g orb.Geometry) (orb.Bound, bool) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	ok := true
	pts := func(ps []orb.Point) {
		for _, p := range ps {
			x, y := p[0], p[1]
			if !geo.ValidLonLat(x, y) {
				ok = false
			}
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	switch g := g.(type) {
	case orb.Point:
		pts([]orb.Point{g})
	case orb.MultiPoint:
		pts(g)
	case orb.LineString:
		pts(g)
	case orb.MultiLineString:
		for _, l := range g {
			pts(l)
		}
	case orb.Polygon:
		for _, r := range g {
			pts(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				pts(r)
			}
		}
	}
	if minX > maxX {
		return orb.Bound{}, false
	}
	return orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}, ok
}

// native reports whether orb's encoder stores every value of m as it is:
// strings, bools, ints, uints and non-NaN float64 (no nil, no typed codes).
func native(m map[string]any) bool {
	for _, v := range m {
		switch x := v.(type) {
		case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		case float64:
			if math.IsNaN(x) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validValue reports whether normValue accepts v, without allocating for
// the common types.
func validValue(v any) bool {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(x)
	}
	if _, ok := v.(encoding.TextMarshaler); !ok {
		// typed codes (string kinds) without converting, which allocates
		switch reflect.ValueOf(v).Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return true
		}
	}
	_, ok := normValue(v)
	return ok
}

// normValue maps a property value to a type orb's MVT encoder stores
// (string, bool, int64, uint64, float64); ok=false for anything else.
// nil maps to nil, ok (the attribute is left out).
func normValue(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, true
	case bool:
		return x, true
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case float32:
		return float64(x), !math.IsNaN(float64(x))
	case float64:
		return x, !math.IsNaN(x)
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return nil, false
		}
		return string(b), true
	case fmt.Stringer:
		return x.String(), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), !math.IsNaN(rv.Float())
	}
	return nil, false
}
