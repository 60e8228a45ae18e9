package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/store"
)

// caller is a test client: its key (none for the public) and the roles
// that key holds.
type caller struct {
	name   string
	secret string
	who    access.Principal
}

var callers = []caller{
	{"public", "", access.Principal{}},
	{"public key", publicSecret, access.Principal{}},
	{"planner", plannerSecret, access.Principal{Roles: access.Of(access.Planner)}},
	{"unit", unitSecret, access.Principal{Roles: access.Of(access.Unit, access.Intake), Unit: "P1"}},
	{"dispatcher", dispSecret, access.Principal{Roles: access.Of(access.Dispatcher)}},
	{"admin", adminSecret, access.Principal{Roles: access.Of(access.Admin)}},
}

func (c caller) hdr() map[string]string {
	if c.secret == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + c.secret}
}

// denied is the status a caller who may not read gets: 401 without a key,
// 403 with one.
func (c caller) denied() int {
	if c.secret == "" {
		return 401
	}
	return 403
}

// TestLayerDescriptions walks every described layer and checks that
// /collections, /api, /tiles/*.json, the tiles and the items agree with
// its description, for callers of every role.
func TestLayerDescriptions(t *testing.T) {
	_, st, ts := newTestServer(t)
	api := do(t, ts, "GET", "/api?f=json", nil).json(t)
	enum := api["components"].(map[string]any)["parameters"].(map[string]any)["collectionId"].(map[string]any)["schema"].(map[string]any)["enum"].([]any)
	if len(enum) != len(store.Descriptions) {
		t.Errorf("/api lists %d collections, %d are described", len(enum), len(store.Descriptions))
	}
	for _, c := range callers {
		listed := map[string]bool{}
		for _, col := range do(t, ts, "GET", "/collections", c.hdr()).json(t)["collections"].([]any) {
			listed[col.(map[string]any)["id"].(string)] = true
		}
		for i := range store.Descriptions {
			d := &store.Descriptions[i]
			id := string(d.Layer)
			may := c.who.Any(d.Readers...)
			t.Run(c.name+"/"+id, func(t *testing.T) {
				if !slices.Contains(enum, any(id)) {
					t.Errorf("/api collectionId enum lacks %s", id)
				}
				if listed[id] != may {
					t.Errorf("/collections lists %s: %v, may read: %v", id, listed[id], may)
				}
				want := 200
				if !may {
					want = c.denied()
				}
				for _, path := range []string{"/collections/" + id, "/collections/" + id + "/items?limit=1", "/collections/" + id + "/items/nonexistent-id"} {
					r := do(t, ts, "GET", path, c.hdr())
					if r.status != want && !(may && r.status == 404 && strings.HasSuffix(path, "nonexistent-id")) {
						t.Errorf("GET %s: %d, want %d", path, r.status, want)
					}
				}
				checkItemsProps(t, ts, c, d, may)
				checkTiles(t, ts, st, c, d, may)
			})
		}
	}
}

// checkItemsProps checks that every described property is served.
func checkItemsProps(t *testing.T, ts *httptest.Server, c caller, d *store.LayerDesc, may bool) {
	t.Helper()
	if !may {
		return
	}
	r := do(t, ts, "GET", "/collections/"+string(d.Layer)+"/items?limit=1", c.hdr())
	fs := features(t, r.json(t))
	if len(fs) == 0 {
		t.Fatalf("%s: no features in the test store", d.Layer)
	}
	props := fs[0]["properties"].(map[string]any)
	for _, p := range d.Props {
		v, ok := props[p.Name]
		if !ok {
			t.Errorf("%s: property %s is described but not served", d.Layer, p.Name)
			continue
		}
		if _, isNum := v.(float64); v != nil && isNum != p.Int {
			t.Errorf("%s.%s: served %T, described integer=%v", d.Layer, p.Name, v, p.Int)
		}
	}
}

// checkTiles checks the TileJSON and one tile over the layer's first
// feature against the description and the caller's roles.
func checkTiles(t *testing.T, ts *httptest.Server, st *memStore, c caller, d *store.LayerDesc, may bool) {
	t.Helper()
	id := string(d.Layer)
	r := do(t, ts, "GET", "/tiles/"+id+".json", c.hdr())
	switch {
	case !may:
		if r.status != c.denied() {
			t.Errorf("TileJSON of %s: %d, want %d", id, r.status, c.denied())
		}
	case !d.Tiled:
		if r.status != 404 {
			t.Errorf("TileJSON of untiled %s: %d", id, r.status)
		}
	default:
		if r.status != 200 {
			t.Fatalf("TileJSON of %s: %d %s", id, r.status, r.body)
		}
		m := r.json(t)
		if minZ := int(m["minzoom"].(float64)); minZ < d.MinZoom || int(m["maxzoom"].(float64)) != d.MaxZoom {
			t.Errorf("TileJSON zooms %v..%v, described %d..%d", m["minzoom"], m["maxzoom"], d.MinZoom, d.MaxZoom)
		}
		fields := m["vector_layers"].([]any)[0].(map[string]any)["fields"].(map[string]any)
		for _, p := range d.Props {
			if _, ok := fields[p.Name]; !ok {
				t.Errorf("TileJSON of %s lacks field %s", id, p.Name)
			}
		}
	}
	// A tile at the layer's deepest described zoom over one of its features.
	all, err := st.all(d.Layer, 0)
	if err != nil || len(all) == 0 {
		t.Fatalf("%s: %v", id, err)
	}
	pt := all[0].Geom.Bound().Center()
	z := max(d.MinZoom, 14)
	tile := maptile.At(orb.Point(pt), maptile.Zoom(z))
	r = do(t, ts, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", id, tile.Z, tile.X, tile.Y), c.hdr())
	switch {
	case !may:
		if r.status != c.denied() {
			t.Errorf("tile of %s: %d, want %d", id, r.status, c.denied())
		}
	case !d.Tiled:
		if r.status != 404 {
			t.Errorf("tile of untiled %s: %d", id, r.status)
		}
	default:
		if r.status != 200 {
			t.Fatalf("tile of %s over a feature: %d %s", id, r.status, r.body)
		}
		ls, err := mvt.Unmarshal(r.body)
		if err != nil || len(ls) != 1 || ls[0].Name != id || len(ls[0].Features) == 0 {
			t.Fatalf("tile of %s: %v %v", id, ls, err)
		}
	}
}

// TestPatrolTiles: the dispatcher gets patrol positions as tiles, read
// live (a moved unit shows at once); the public and a planner do not.
func TestPatrolTiles(t *testing.T) {
	_, st, ts := newTestServer(t)
	disp := map[string]string{"Authorization": "Bearer " + dispSecret}
	p1 := st.b.Patrols[0]
	tile := maptile.At(p1.Loc, 15)
	path := fmt.Sprintf("/tiles/patrols/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y)
	ids := func() []string {
		r := do(t, ts, "GET", path, disp)
		if r.status == 204 {
			return nil
		}
		ls, err := mvt.Unmarshal(r.body)
		if r.status != 200 || err != nil || len(ls) != 1 {
			t.Fatalf("%d %v", r.status, err)
		}
		var out []string
		for _, f := range ls[0].Features {
			out = append(out, f.Properties["id"].(string))
		}
		return out
	}
	if got := ids(); !slices.Contains(got, p1.ID) {
		t.Fatalf("tile over %s holds %v", p1.ID, got)
	}
	for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer " + plannerSecret}, {"X-API-Key": publicSecret}} {
		if r := do(t, ts, "GET", path, hdr); r.status != 401 && r.status != 403 {
			t.Errorf("%v: %d", hdr, r.status)
		}
	}
	// The unit moves away: the same tile no longer shows it.
	moved := dispatch.PositionReport{Unit: p1.ID, Loc: orb.Point{p1.Loc[0] + 0.05, p1.Loc[1]}, Status: dispatch.StatusBusy, At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	if err := st.report1(context.Background(), moved); err != nil {
		t.Fatal(err)
	}
	if got := ids(); slices.Contains(got, p1.ID) {
		t.Errorf("moved unit still in its old tile: %v", got)
	}
}

// TestDatetimeNeverReported: a unit that never reported (updated_at null)
// matches no datetime filter, open-ended or not.
func TestDatetimeNeverReported(t *testing.T) {
	_, st, ts := newTestServer(t)
	silent := st.b.Patrols[1].ID
	st.mu.Lock()
	delete(st.patrols, silent)
	st.mu.Unlock()
	disp := map[string]string{"Authorization": "Bearer " + dispSecret}
	for _, q := range []string{"datetime=../2026-02-01T00:00:00Z", "datetime=1970-01-01T00:00:00Z/..", "datetime=2026-01-01"} {
		fs := features(t, do(t, ts, "GET", "/collections/patrols/items?"+q, disp).json(t))
		for _, f := range fs {
			if f["id"] == silent {
				t.Errorf("%s matches %s, which never reported", q, silent)
			}
		}
		if len(fs) != len(st.b.Patrols)-1 {
			t.Errorf("%s: %d patrols, want the %d that reported", q, len(fs), len(st.b.Patrols)-1)
		}
	}
	if n := len(features(t, do(t, ts, "GET", "/collections/patrols/items", disp).json(t))); n != len(st.b.Patrols) {
		t.Errorf("without datetime: %d patrols, want all %d", n, len(st.b.Patrols))
	}
}

// TestTileJSONMinZoomHonest: the TileJSON minzoom of each tiled layer is a
// zoom that shows it; below it, tiles do not exist (404), not 204.
func TestTileJSONMinZoomHonest(t *testing.T) {
	_, st, ts := newTestServer(t)
	for _, d := range store.Descriptions {
		if !d.Tiled || !d.Cached {
			continue
		}
		m := do(t, ts, "GET", "/tiles/"+string(d.Layer)+".json", nil).json(t)
		minZ := int(m["minzoom"].(float64))
		all, _ := st.all(d.Layer, 0)
		largest, area := all[0], -1.0
		for _, f := range all {
			b := f.Geom.Bound()
			if a := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]); a > area {
				largest, area = f, a
			}
		}
		tl := maptile.At(largest.Geom.Bound().Center(), maptile.Zoom(minZ))
		if r := do(t, ts, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", d.Layer, tl.Z, tl.X, tl.Y), nil); r.status != 200 {
			t.Errorf("%s: tile at minzoom %d over its largest feature: %d", d.Layer, minZ, r.status)
		}
		if minZ > 0 {
			tl = maptile.At(largest.Geom.Bound().Center(), maptile.Zoom(minZ-1))
			if r := do(t, ts, "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", d.Layer, tl.Z, tl.X, tl.Y), nil); r.status != 404 {
				t.Errorf("%s: tile below minzoom: %d", d.Layer, r.status)
			}
		}
		if d.Geometry != "Point" && minZ == 0 {
			t.Errorf("%s: areas of about 1 km visible at zoom 0?", d.Layer)
		}
	}
}
