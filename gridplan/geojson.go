package gridplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// maxPlanFile bounds what ReadGeoJSON holds in memory.
const maxPlanFile = 512 << 20

// WriteGeoJSON writes grids as a GeoJSON FeatureCollection (plan.geojson):
// one Feature a grid, one feature a line, WGS84, a Polygon when the grid is
// one part and a MultiPolygon otherwise, with the properties code,
// community_code, street_code, kind, households and target. A grid with a
// non-finite or out-of-range coordinate, or a malformed ring, is rejected
// with an errs.Invalid naming it and nothing is written.
func WriteGeoJSON(w io.Writer, grids []Grid) error {
	var buf bytes.Buffer
	buf.WriteString("{\"type\":\"FeatureCollection\",\"features\":[\n")
	for i, g := range grids {
		if err := CheckAreal(g.Geom); err != nil {
			return errs.E(errs.Invalid, fmt.Sprintf("grids[%d]", i), "grid %s: %v", g.Code, err)
		}
		var geom orb.Geometry = g.Geom
		if len(g.Geom) == 1 {
			geom = g.Geom[0]
		}
		f := geojson.NewFeature(geom)
		f.Properties = geojson.Properties{
			"code":           string(g.Code),
			"community_code": string(g.Community),
			"street_code":    string(g.Street),
			"kind":           string(g.Kind),
			"households":     g.Households,
			"target":         g.Target,
		}
		data, err := f.MarshalJSON()
		if err != nil {
			return errs.Wrap(errs.Invalid, err, fmt.Sprintf("grids[%d]: cannot encode grid %s", i, g.Code))
		}
		buf.Write(data)
		if i < len(grids)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadGeoJSON parses a plan.geojson strictly: every feature must carry valid
// codes (the grid code starting with its community code, the street code
// being the community's street), a known kind, non-negative integer
// households, a positive integer target and a Polygon or MultiPolygon
// geometry with closed rings of finite WGS84 coordinates; grid codes are
// unique. Every problem found is reported (an errs.List wrapped in an
// errs.Invalid error), each naming the feature index and the reason.
func ReadGeoJSON(r io.Reader) ([]Grid, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanFile+1))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "plan: cannot read")
	}
	if len(data) > maxPlanFile {
		return nil, errs.E(errs.TooLarge, "plan", "larger than %d bytes", maxPlanFile)
	}
	// Check the top level ourselves: orb accepts a bare Feature or
	// geometry-less junk more leniently than a plan file should be.
	var top struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, errs.E(errs.Invalid, "plan", "not a GeoJSON FeatureCollection: %v", err)
	}
	if top.Type != "FeatureCollection" {
		return nil, errs.E(errs.Invalid, "plan", "type is %q, want FeatureCollection", top.Type)
	}
	var probs errs.List
	grids := make([]Grid, 0, len(top.Features))
	seen := make(map[bundle.GridCode]int, len(top.Features))
	for i, raw := range top.Features {
		g, p := readFeature(i, raw)
		if p != nil {
			probs = append(probs, p...)
			continue
		}
		if j, dup := seen[g.Code]; dup {
			probs = append(probs, errs.E(errs.Invalid, featureField(i), "code %s repeats feature %d", g.Code, j))
			continue
		}
		seen[g.Code] = i
		grids = append(grids, g)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return grids, nil
}

func featureField(i int) string { return fmt.Sprintf("plan: feature %d", i) }

func readFeature(i int, raw json.RawMessage) (Grid, errs.List) {
	var g Grid
	var probs errs.List
	bad := func(format string, args ...any) {
		probs = append(probs, errs.E(errs.Invalid, featureField(i), format, args...))
	}
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		bad("not a GeoJSON Feature: %v", err)
		return g, probs
	}
	if f.Type != "Feature" {
		bad("type is %q, want Feature", f.Type)
	}
	str := func(key string) (string, bool) {
		v, ok := f.Properties[key]
		if !ok || v == nil {
			bad("property %s is missing", key)
			return "", false
		}
		s, ok := v.(string)
		if !ok {
			bad("property %s is %T, want a string", key, v)
			return "", false
		}
		return s, true
	}
	integer := func(key string, min int) int {
		v, ok := f.Properties[key]
		if !ok || v == nil {
			bad("property %s is missing", key)
			return 0
		}
		x, ok := v.(float64)
		if !ok || x != math.Trunc(x) || x > 1e9 {
			bad("property %s is %v, want an integer", key, v)
			return 0
		}
		if int(x) < min {
			bad("property %s is %v, want at least %d", key, v, min)
			return 0
		}
		return int(x)
	}
	if s, ok := str("code"); ok {
		if g.Code, err = bundle.ParseGridCode(s); err != nil {
			bad("code: %s", msgOf(err))
		}
	}
	if s, ok := str("community_code"); ok {
		if g.Community, err = bundle.ParseCommunityCode(s); err != nil {
			bad("community_code: %s", msgOf(err))
		}
	}
	if s, ok := str("street_code"); ok {
		if g.Street, err = bundle.ParseStreetCode(s); err != nil {
			bad("street_code: %s", msgOf(err))
		}
	}
	if s, ok := str("kind"); ok {
		g.Kind = bundle.Kind(s)
		if !g.Kind.Valid() {
			bad("kind %q is not urban, rural or virtual", s)
		}
	}
	g.Households = integer("households", 0)
	g.Target = integer("target", 1)
	if g.Code != "" && g.Community != "" && !strings.HasPrefix(string(g.Code), string(g.Community)) {
		bad("code %s does not start with community_code %s", g.Code, g.Community)
	}
	if g.Street != "" && g.Community != "" && g.Community.Street() != g.Street {
		bad("street_code %s is not the street of community %s", g.Street, g.Community)
	}
	switch x := f.Geometry.(type) {
	case orb.Polygon:
		g.Geom = orb.MultiPolygon{x}
	case orb.MultiPolygon:
		g.Geom = x
	case nil:
		bad("geometry is missing")
	default:
		bad("geometry is a %s, want Polygon or MultiPolygon", x.GeoJSONType())
	}
	if g.Geom != nil {
		if err := CheckAreal(g.Geom); err != nil {
			bad("%v", err)
		}
	}
	return g, probs
}

func msgOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return err.Error()
}

// CheckAreal checks a multipolygon is non-empty, every ring closed with at
// least 4 positions and every coordinate finite and within WGS84 ranges.
func CheckAreal(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return fmt.Errorf("geometry is empty")
	}
	for pi, poly := range mp {
		if len(poly) == 0 {
			return fmt.Errorf("polygon %d has no rings", pi)
		}
		for ri, ring := range poly {
			if len(ring) < 4 {
				return fmt.Errorf("polygon %d ring %d has %d positions, want at least 4", pi, ri, len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return fmt.Errorf("polygon %d ring %d is not closed", pi, ri)
			}
			for vi, p := range ring {
				if err := geo.CheckLonLat(p[0], p[1]); err != nil {
					e, _ := errs.As(err)
					return fmt.Errorf("polygon %d ring %d vertex %d: %s", pi, ri, vi, e.Msg)
				}
			}
		}
	}
	return nil
}
