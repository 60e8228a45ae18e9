package main

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

type unitRow struct {
	id         string
	grid       string
	households int
	hex        orb.Polygon
}

// gridUnits is GET /plans/{id}/units?grid=code.
func gridUnits(t *testing.T, base, key string, id int, code string) []unitRow {
	t.Helper()
	r := want(t, "GET units", call(t, "GET", fmt.Sprintf("%s/plans/%d/units?grid=%s", base, id, code), key, nil), 200)
	fc, err := geojson.UnmarshalFeatureCollection(r.body)
	if err != nil {
		t.Fatal(err)
	}
	var out []unitRow
	for _, f := range fc.Features {
		p, ok := f.Geometry.(orb.Polygon)
		if !ok {
			t.Fatalf("unit geometry %T", f.Geometry)
		}
		out = append(out, unitRow{id: f.Properties.MustString("unit"), grid: f.Properties.MustString("grid"),
			households: int(f.Properties.MustFloat64("households")), hex: p})
	}
	if len(out) == 0 {
		t.Fatalf("grid %s has no units", code)
	}
	return out
}

// moveCorridor moves, through POST /plans/{d}/edits, the units of grid
// from (listed by GET /plans/{d}/units) on a corridor from its edge with
// grid to to the building of from nearest that edge, and checks the
// answer: both grids changed, their households exactly the buildings'
// in their new polygons, the moved units listed in to afterwards (no
// longer derived: stored with the draft). It returns the building.
func moveCorridor(t *testing.T, base string, k caseKeys, d int, b *bundle.Bundle, from, to gridplan.Grid) bundle.Building {
	t.Helper()
	var near bundle.Building
	for _, bl := range b.Buildings {
		if planar.MultiPolygonContains(from.Geom, bl.Loc) && (near.ID == "" || bl.Loc[0] < near.Loc[0]) {
			near = bl
		}
	}
	units := gridUnits(t, base, k.planner, d, string(from.Code))
	// The corridor: units of from whose centre is west of the building
	// and within 40 m of its latitude, and the building's own unit.
	dy := 40.0 / 110574
	var ids []string
	for _, u := range units {
		ct := u.hex.Bound().Center()
		if planar.PolygonContains(u.hex, near.Loc) || ct[0] <= near.Loc[0] && math.Abs(ct[1]-near.Loc[1]) <= dy {
			ids = append(ids, u.id)
		}
	}
	r := want(t, "move units", call(t, "POST", fmt.Sprintf("%s/plans/%d/edits", base, d), k.planner,
		map[string]any{"op": "move", "units": ids, "to": string(to.Code)}), 200)
	var ans struct {
		Changed []json.RawMessage `json:"changed"`
	}
	if err := json.Unmarshal(r.body, &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Changed) != 2 {
		t.Fatalf("move changed %d grids: %s", len(ans.Changed), r.body)
	}
	for _, raw := range ans.Changed {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			t.Fatal(err)
		}
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		}
		hh := 0
		for _, bl := range b.Buildings {
			if planar.MultiPolygonContains(mp, bl.Loc) {
				hh += bl.Households
			}
		}
		if got := int(f.Properties.MustFloat64("households")); got != hh {
			t.Errorf("grid %s after the move: %d households, the buildings in it hold %d", f.Properties.MustString("code"), got, hh)
		}
		if len(mp) != 1 {
			t.Errorf("grid %s has %d parts after the move", f.Properties.MustString("code"), len(mp))
		}
	}
	if !planar.MultiPolygonContains(orbGeom(t, ans.Changed, string(to.Code)), near.Loc) {
		t.Fatalf("building %s is not in %s after the move", near.ID, to.Code)
	}
	after := map[string]string{}
	for _, u := range gridUnits(t, base, k.planner, d, string(to.Code)) {
		after[u.id] = u.grid
	}
	for _, id := range ids {
		if after[id] != string(to.Code) {
			t.Fatalf("unit %s is not listed in %s after the move", id, to.Code)
		}
	}
	r = want(t, "units stored", call(t, "GET", fmt.Sprintf("%s/plans/%d/units?grid=%s", base, d, to.Code), k.planner, nil), 200)
	if r.m["derived"] != false {
		t.Fatalf("the draft's units are not stored after the move: derived %v", r.m["derived"])
	}
	return near
}

func orbGeom(t *testing.T, changed []json.RawMessage, code string) orb.MultiPolygon {
	t.Helper()
	for _, raw := range changed {
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			t.Fatal(err)
		}
		if f.Properties.MustString("code") != code {
			continue
		}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			return orb.MultiPolygon{g}
		case orb.MultiPolygon:
			return g
		}
	}
	t.Fatalf("grid %s not in the changed grids", code)
	return nil
}
