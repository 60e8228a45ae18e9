package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
)

// TestPlanUnits: GET /plans/{id}/units?grid= answers the grid's units as
// GeoJSON (derived from the grids when the plan stores none, stored ones
// otherwise), planners only, 4xx naming the field for bad input; a move
// naming a listed unit moves it.
func TestPlanUnits(t *testing.T) {
	_, st, ts := newTestServer(t)
	p, err := st.Plan(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	g := p.Grids[0].Code
	path := fmt.Sprintf("/plans/2/units?grid=%s", g)
	auth := map[string]string{"Authorization": "Bearer " + plannerSecret}
	for _, tc := range []struct {
		who, key, path string
		want           int
	}{
		{"public", "", path, 401},
		{"dispatcher", dispSecret, path, 403},
		{"no grid", plannerSecret, "/plans/2/units", 400},
		{"bad grid", plannerSecret, "/plans/2/units?grid=x1", 400},
		{"unknown grid", plannerSecret, "/plans/2/units?grid=320111001009009", 404},
		{"unknown plan", plannerSecret, fmt.Sprintf("/plans/99/units?grid=%s", g), 404},
		{"bad plan", plannerSecret, fmt.Sprintf("/plans/x/units?grid=%s", g), 400},
	} {
		hdr := map[string]string{}
		if tc.key != "" {
			hdr["Authorization"] = "Bearer " + tc.key
		}
		if r := do(t, ts, "GET", tc.path, hdr); r.status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.who, r.status, tc.want, clip.Text(string(r.body), 200))
		}
	}
	r := do(t, ts, "GET", path, auth)
	if r.status != 200 || r.header.Get("Content-Type") != mediaGeoJSON {
		t.Fatalf("%d %s: %s", r.status, r.header.Get("Content-Type"), clip.Text(string(r.body), 300))
	}
	m := r.json(t)
	fs := features(t, m)
	if m["derived"] != true || len(fs) == 0 {
		t.Fatalf("derived %v, %d units; want derived units", m["derived"], len(fs))
	}
	hh := 0
	for _, f := range fs {
		props := f["properties"].(map[string]any)
		if props["grid"] != string(g) {
			t.Fatalf("unit of grid %v in %s's list", props["grid"], g)
		}
		if _, err := gridplan.ParseUnitID(props["unit"].(string)); err != nil {
			t.Fatal(err)
		}
		hh += int(props["households"].(float64))
	}
	// The grid is its whole community: its units hold every building.
	want := 0
	for _, bl := range st.b.Buildings {
		if planar.MultiPolygonContains(p.Grids[0].Geom, bl.Loc) {
			want += bl.Households
		}
	}
	if hh != want {
		t.Errorf("units hold %d households, the buildings in the grid %d", hh, want)
	}
	// Stored units are answered as stored.
	st.mu.Lock()
	id, _ := gridplan.ParseUnitID(fs[0]["id"].(string))
	st.plans[1].Units = []gridplan.Unit{{ID: id, Grid: g, Households: 3}}
	st.mu.Unlock()
	m = do(t, ts, "GET", path, auth).json(t)
	if fs := features(t, m); m["derived"] != false || len(fs) != 1 || fs[0]["properties"].(map[string]any)["households"] != 3.0 {
		t.Fatalf("stored units: derived %v, %v", m["derived"], fs)
	}
}
