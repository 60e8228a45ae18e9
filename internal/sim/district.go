package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// district is what the simulator knows of the served district, read
// through the API: streets, buildings with their standard addresses (by
// street), patrol units (dispatcher keys only) and the category codes.
type district struct {
	bound     orb.Bound
	streets   []street
	buildings []building
	units     []unitHome
	cats      []string // category codes (Open311 services)
}

type street struct {
	code      string
	geom      orb.MultiPolygon
	bound     orb.Bound
	buildings []int // indexes into district.buildings
}

type building struct {
	id, address string
	loc         orb.Point
	street      int // index into district.streets, -1 when none
}

type unitHome struct {
	id, street string
	loc        orb.Point
}

// loadDistrict reads the district through the OGC API collections and
// Open311's service list.
func (s *sim) loadDistrict(ctx context.Context) (*district, error) {
	d := &district{}
	streets, err := s.features(ctx, "streets")
	if err != nil {
		return nil, err
	}
	for _, f := range streets {
		mp, ok := asMultiPolygon(f.Geometry)
		if !ok {
			continue
		}
		st := street{code: propString(f, "code"), geom: mp, bound: mp.Bound()}
		d.streets = append(d.streets, st)
		if len(d.streets) == 1 {
			d.bound = st.bound
		} else {
			d.bound = d.bound.Union(st.bound)
		}
	}
	if len(d.streets) == 0 {
		return nil, fmt.Errorf("the server lists no streets")
	}
	sort.Slice(d.streets, func(i, j int) bool { return d.streets[i].code < d.streets[j].code })
	blds, err := s.features(ctx, "buildings")
	if err != nil {
		return nil, err
	}
	for _, f := range blds {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		b := building{id: propString(f, "id"), address: propString(f, "address"), loc: p, street: -1}
		for i := range d.streets {
			if d.streets[i].bound.Contains(p) && planar.MultiPolygonContains(d.streets[i].geom, p) {
				b.street = i
				break
			}
		}
		d.buildings = append(d.buildings, b)
	}
	if len(d.buildings) == 0 {
		return nil, fmt.Errorf("the server lists no buildings")
	}
	sort.Slice(d.buildings, func(i, j int) bool { return d.buildings[i].id < d.buildings[j].id })
	for i, b := range d.buildings {
		if b.street >= 0 {
			d.streets[b.street].buildings = append(d.streets[b.street].buildings, i)
		}
	}
	// Patrols are for dispatchers: without such a key the simulator has no
	// units to move.
	if units, err := s.features(ctx, "patrols"); err == nil {
		for _, f := range units {
			p, ok := f.Geometry.(orb.Point)
			if !ok {
				continue
			}
			d.units = append(d.units, unitHome{id: propString(f, "id"), street: propString(f, "street_code"), loc: p})
		}
		sort.Slice(d.units, func(i, j int) bool { return d.units[i].id < d.units[j].id })
	} else {
		s.logf("no units to move: %v", err)
	}
	var services []struct {
		Code string `json:"service_code"`
	}
	if err := s.getJSON(ctx, "/open311/v2/services.json", &services); err != nil {
		return nil, err
	}
	for _, sv := range services {
		d.cats = append(d.cats, sv.Code)
	}
	sort.Strings(d.cats)
	if len(d.cats) == 0 {
		return nil, fmt.Errorf("the server lists no categories (open311 services)")
	}
	return d, nil
}

// features reads a whole collection, page by page.
func (s *sim) features(ctx context.Context, coll string) ([]*geojson.Feature, error) {
	const page = 5000
	var out []*geojson.Feature
	for off := 0; ; off += page {
		var fc geojson.FeatureCollection
		path := "/collections/" + url.PathEscape(coll) + "/items?" + url.Values{"limit": {fmt.Sprint(page)}, "offset": {fmt.Sprint(off)}}.Encode()
		raw, err := s.getRaw(ctx, path)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &fc); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out = append(out, fc.Features...)
		if len(fc.Features) < page {
			return out, nil
		}
	}
}

func asMultiPolygon(g orb.Geometry) (orb.MultiPolygon, bool) {
	switch x := g.(type) {
	case orb.MultiPolygon:
		return x, true
	case orb.Polygon:
		return orb.MultiPolygon{x}, true
	}
	return nil, false
}

func propString(f *geojson.Feature, k string) string {
	if v, ok := f.Properties[k]; ok && v != nil {
		return strings.TrimSpace(fmt.Sprint(v))
	}
	if k == "id" || k == "code" {
		if f.ID != nil {
			return fmt.Sprint(f.ID)
		}
	}
	return ""
}
