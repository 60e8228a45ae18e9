package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

const (
	adminSecret   = "admin-secret-1"
	plannerSecret = "planner-secret-1"
	publicSecret  = "public-secret-1"
	dispSecret    = "dispatcher-secret-1"
	unitSecret    = "unit-secret-1"
)

func testLocator(b *bundle.Bundle, grids []gridplan.Grid, units []dispatch.Unit) (Locator, error) {
	d, err := dispatch.NewDirectory(b, grids, nil)
	if err != nil {
		return nil, err
	}
	if err := d.LoadUnits(units); err != nil {
		return nil, err
	}
	return d, nil
}

// newTestServer starts a Server over the memStore test double with an
// admin and a planner key.
func newTestServer(t testing.TB) (*Server, *memStore, *httptest.Server) {
	t.Helper()
	st := newTestStore(1)
	keys, err := ParseKeys(strings.NewReader(HashKey(adminSecret)+" admin ops\n"+HashKey(plannerSecret)+" planner alice\n"+HashKey(publicSecret)+" public kiosk\n"+
		HashKey(dispSecret)+" dispatcher centre\n"+HashKey(unitSecret)+" unit,intake unit=P1 patrol one\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, Keys: keys, NewLocator: testLocator, PlanPoll: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, st, ts
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, clip.Text(string(r.body), 300))
	}
	return m
}

func do(t testing.TB, ts *httptest.Server, method, path string, hdr map[string]string) resp {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := ts.Client().Transport.RoundTrip(req) // no transparent gzip
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

func features(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	fs, ok := m["features"].([]any)
	if !ok {
		t.Fatalf("no features array in %v", clip.Text(strings.Join(strings.Fields(string(mustJSON(m))), ""), 200))
	}
	out := make([]map[string]any, len(fs))
	for i, f := range fs {
		out[i] = f.(map[string]any)
	}
	return out
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func hasLink(m map[string]any, rel string) (string, bool) {
	ls, _ := m["links"].([]any)
	for _, l := range ls {
		lm := l.(map[string]any)
		if lm["rel"] == rel {
			return lm["href"].(string), true
		}
	}
	return "", false
}

// TestRoutes drives every route through its success and error paths.
func TestRoutes(t *testing.T) {
	_, _, ts := newTestServer(t)
	bearer := func(s string) map[string]string { return map[string]string{"Authorization": "Bearer " + s} }
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		status             int
		ctype              string
		field              string // problem field expected
		check              func(t *testing.T, r resp)
	}{
		{name: "landing", path: "/", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
				if _, ok := hasLink(m, rel); !ok {
					t.Errorf("no %s link", rel)
				}
			}
		}},
		{name: "landing unknown param", path: "/?x=1", status: 400, field: "x"},
		{name: "conformance", path: "/conformance", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			for _, c := range conformanceClasses {
				if !bytes.Contains(r.body, []byte(c)) {
					t.Errorf("missing %s", c)
				}
			}
		}},
		{name: "openapi", path: "/api", status: 200, ctype: mediaOpenAPI},
		{name: "openapi as json", path: "/api?f=json", status: 200, ctype: mediaJSON},
		{name: "collections", path: "/collections", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			// The public is listed only what it may read (patrols are not).
			cols := r.json(t)["collections"].([]any)
			public := 0
			for _, d := range store.Descriptions {
				if d.Public() {
					public++
				}
			}
			if len(cols) != public || public == len(store.Descriptions) {
				t.Errorf("%d collections listed to the public, %d of %d described are public", len(cols), public, len(store.Descriptions))
			}
		}},
		{name: "collection", path: "/collections/grids", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			bb := m["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
			if math.Abs(bb[0].(float64)-118.60) > 1e-9 || math.Abs(bb[3].(float64)-32.02) > 1e-9 {
				t.Errorf("extent %v", bb)
			}
			if m["storageCrs"] != CRS84URI {
				t.Errorf("storageCrs %v", m["storageCrs"])
			}
		}},
		{name: "unknown collection", path: "/collections/roads", status: 404, field: "collectionId"},
		{name: "unknown collection items", path: "/collections/roads/items", status: 404, field: "collectionId"},
		{name: "items default", path: "/collections/grids/items", status: 200, ctype: mediaGeoJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["numberMatched"].(float64) != 8 || m["numberReturned"].(float64) != 8 || len(features(t, m)) != 8 {
				t.Errorf("matched %v returned %v", m["numberMatched"], m["numberReturned"])
			}
			if r.header.Get("Content-Crs") != "<"+CRS84URI+">" {
				t.Errorf("Content-Crs %q", r.header.Get("Content-Crs"))
			}
			if r.header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if _, ok := hasLink(m, "next"); ok {
				t.Error("next link on the only page")
			}
		}},
		{name: "items first page", path: "/collections/grids/items?limit=3", status: 200, check: func(t *testing.T, r resp) {
			m := r.json(t)
			fs := features(t, m)
			if len(fs) != 3 || m["numberMatched"].(float64) != 8 {
				t.Fatalf("got %d features of %v", len(fs), m["numberMatched"])
			}
			next, ok := hasLink(m, "next")
			if !ok || !strings.Contains(next, "offset=3") || !strings.Contains(next, "limit=3") {
				t.Errorf("next %q", next)
			}
			if _, ok := hasLink(m, "prev"); ok {
				t.Error("prev on the first page")
			}
			if fs[0]["id"] != "320111001001001" {
				t.Errorf("first id %v", fs[0]["id"])
			}
		}},
		{name: "items middle page", path: "/collections/grids/items?limit=3&offset=3", status: 200, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if _, ok := hasLink(m, "next"); !ok {
				t.Error("no next")
			}
			prev, ok := hasLink(m, "prev")
			if !ok || strings.Contains(prev, "offset") {
				t.Errorf("prev %q", prev)
			}
		}},
		{name: "items last page", path: "/collections/grids/items?limit=3&offset=6", status: 200, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if len(features(t, m)) != 2 {
				t.Error("want 2 on the last page")
			}
			if _, ok := hasLink(m, "next"); ok {
				t.Error("next on the last page")
			}
		}},
		{name: "items beyond the end", path: "/collections/grids/items?offset=100", status: 200, check: func(t *testing.T, r resp) {
			if len(features(t, r.json(t))) != 0 {
				t.Error("features beyond the end")
			}
		}},
		{name: "limit zero", path: "/collections/grids/items?limit=0", status: 400, field: "limit"},
		{name: "limit text", path: "/collections/grids/items?limit=ten", status: 400, field: "limit"},
		{name: "limit twice", path: "/collections/grids/items?limit=1&limit=2", status: 400, field: "limit"},
		{name: "limit above max is clamped", path: "/collections/buildings/items?limit=20000", status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 3000 {
				t.Errorf("%d buildings", n)
			}
		}},
		{name: "offset negative", path: "/collections/grids/items?offset=-1", status: 400, field: "offset"},
		{name: "bbox", path: "/collections/grids/items?bbox=118.601,32.001,118.609,32.009", status: 200, check: func(t *testing.T, r resp) {
			fs := features(t, r.json(t))
			if len(fs) != 1 || fs[0]["id"] != "320111001001001" {
				t.Errorf("bbox inside one grid gave %d features", len(fs))
			}
		}},
		{name: "bbox touching edges", path: "/collections/communities/items?bbox=118.605,32.005,118.615,32.006", status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 2 {
				t.Errorf("%d communities", n)
			}
		}},
		{name: "bbox lat-first 4326", path: "/collections/grids/items?bbox=32.001,118.601,32.009,118.609&bbox-crs=" + EPSG4326URI, status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 1 {
				t.Errorf("%d grids", n)
			}
		}},
		{name: "bbox three numbers", path: "/collections/grids/items?bbox=1,2,3", status: 400, field: "bbox"},
		{name: "bbox NaN", path: "/collections/grids/items?bbox=NaN,2,3,4", status: 400, field: "bbox"},
		{name: "bbox inverted", path: "/collections/grids/items?bbox=118.7,32,118.6,32.1", status: 400, field: "bbox"},
		{name: "bbox-crs unknown", path: "/collections/grids/items?bbox=1,2,3,4&bbox-crs=EPSG:3857", status: 400, field: "bbox-crs"},
		{name: "property filter", path: "/collections/grids/items?community_code=320111002001", status: 200, check: func(t *testing.T, r resp) {
			fs := features(t, r.json(t))
			if len(fs) != 2 {
				t.Fatalf("%d grids", len(fs))
			}
			for _, f := range fs {
				if f["properties"].(map[string]any)["community_code"] != "320111002001" {
					t.Errorf("filter leaked %v", f["id"])
				}
			}
		}},
		{name: "numeric property filter", path: "/collections/grids/items?households=401", status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 4 {
				t.Errorf("%d grids", n)
			}
		}},
		{name: "unknown property", path: "/collections/grids/items?colour=red", status: 400, field: "colour"},
		{name: "crs 4326 lat first", path: "/collections/facilities/items?crs=" + EPSG4326URI + "&kind=centre", status: 200, check: func(t *testing.T, r resp) {
			if r.header.Get("Content-Crs") != "<"+EPSG4326URI+">" {
				t.Errorf("Content-Crs %q", r.header.Get("Content-Crs"))
			}
			c := features(t, r.json(t))[0]["geometry"].(map[string]any)["coordinates"].([]any)
			if c[0].(float64) != 32.01 || c[1].(float64) != 118.62 {
				t.Errorf("coordinates %v, want lat first", c)
			}
		}},
		{name: "crs GCJ-02", path: "/collections/facilities/items?crs=" + GCJ02URI + "&kind=centre", status: 200, check: func(t *testing.T, r resp) {
			c := features(t, r.json(t))[0]["geometry"].(map[string]any)["coordinates"].([]any)
			dLon, dLat := c[0].(float64)-118.62, c[1].(float64)-32.01
			// GCJ-02 shifts Nanjing by roughly 500 m east and 200 m south.
			if dLon < 0.003 || dLon > 0.008 || dLat > -0.0005 || dLat < -0.004 {
				t.Errorf("GCJ-02 offset %v,%v", dLon, dLat)
			}
		}},
		{name: "crs unknown", path: "/collections/grids/items?crs=urn:x", status: 400, field: "crs"},
		{name: "other plan", path: "/collections/grids/items?plan=2", status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 4 {
				t.Errorf("%d grids in plan 2", n)
			}
		}},
		{name: "missing plan", path: "/collections/grids/items?plan=99", status: 404, field: "plan"},
		{name: "bad plan", path: "/collections/grids/items?plan=x", status: 400, field: "plan"},
		{name: "plan on another layer", path: "/collections/streets/items?plan=1", status: 400, field: "plan"},
		{name: "datetime bad", path: "/collections/patrols/items?datetime=yesterday", hdr: bearer(dispSecret), status: 400, field: "datetime"},
		{name: "patrols need a key", path: "/collections/patrols/items", status: 401, field: "Authorization"},
		{name: "patrols need dispatcher", path: "/collections/patrols/items", hdr: bearer(publicSecret), status: 403, field: "Authorization"},
		{name: "patrols not for planners", path: "/collections/patrols/items", hdr: bearer(plannerSecret), status: 403, field: "Authorization"},
		{name: "patrols not for units", path: "/collections/patrols/items/P1", hdr: bearer(unitSecret), status: 403, field: "Authorization"},
		{name: "patrols for admin", path: "/collections/patrols/items/P1", hdr: bearer(adminSecret), status: 200},
		{name: "reload dispatcher", method: "POST", path: "/admin/reload", hdr: bearer(dispSecret), status: 403, field: "Authorization"},
		{name: "public key reads grids", path: "/collections/grids/items?limit=1", hdr: bearer(publicSecret), status: 200},
		{name: "patrol feature needs a key", path: "/collections/patrols/items/P1", status: 401, field: "Authorization"},
		{name: "patrols live", path: "/collections/patrols/items", hdr: bearer(dispSecret), status: 200, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["numberMatched"].(float64) != 2 {
				t.Errorf("matched %v", m["numberMatched"])
			}
		}},
		{name: "patrols datetime excludes", path: "/collections/patrols/items?datetime=2026-02-01T00:00:00Z/..", hdr: bearer(dispSecret), status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 0 {
				t.Errorf("%d patrols updated after Feb", n)
			}
		}},
		{name: "patrols datetime includes", path: "/collections/patrols/items?datetime=../2026-02-01T00:00:00Z", hdr: bearer(dispSecret), status: 200, check: func(t *testing.T, r resp) {
			if n := len(features(t, r.json(t))); n != 2 {
				t.Errorf("%d patrols", n)
			}
		}},
		{name: "feature", path: "/collections/grids/items/320111001002002", status: 200, ctype: mediaGeoJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["id"] != "320111001002002" || m["type"] != "Feature" {
				t.Errorf("feature %v", m["id"])
			}
			if _, ok := hasLink(m, "collection"); !ok {
				t.Error("no collection link")
			}
		}},
		{name: "feature of other plan", path: "/collections/grids/items/320111001001001?plan=2", status: 200},
		{name: "feature missing", path: "/collections/grids/items/999", status: 404, field: "featureId"},
		{name: "patrol feature", path: "/collections/patrols/items/P1", hdr: bearer(dispSecret), status: 200},
		{name: "patrol feature missing", path: "/collections/patrols/items/P9", hdr: bearer(dispSecret), status: 404, field: "featureId"},
		{name: "building feature", path: "/collections/buildings/items/17", status: 200},
		{name: "accept html only", path: "/collections/grids/items", hdr: map[string]string{"Accept": "text/html"}, status: 406, field: "Accept"},
		{name: "accept q=0", path: "/collections/grids/items", hdr: map[string]string{"Accept": "application/geo+json;q=0, application/json;q=0, */*;q=0.1"}, status: 406},
		{name: "accept json preferred", path: "/collections/grids/items", hdr: map[string]string{"Accept": "application/geo+json;q=0.5, application/json"}, status: 200, ctype: mediaJSON},
		{name: "accept browser", path: "/collections/grids/items", hdr: map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, status: 200, ctype: mediaGeoJSON},
		{name: "f=json", path: "/collections/grids/items?f=json", status: 200, ctype: mediaJSON},
		{name: "f=xml", path: "/collections/grids/items?f=xml", status: 406, field: "f"},
		{name: "wrong method", method: "POST", path: "/collections", status: 405, check: func(t *testing.T, r resp) {
			if a := r.header.Get("Allow"); a != "GET, HEAD" {
				t.Errorf("Allow %q", a)
			}
		}},
		{name: "delete items", method: "DELETE", path: "/collections/grids/items", status: 405},
		{name: "unknown route", path: "/nowhere", status: 404},
		{name: "locate inside", path: "/locate?lon=118.605&lat=32.015", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["grid"].(map[string]any)["code"] != "320111001001002" {
				t.Errorf("grid %v", m["grid"])
			}
			if ps := m["patrols"].([]any); len(ps) != 2 {
				t.Errorf("%d patrols", len(ps))
			}
		}},
		{name: "locate k=1", path: "/locate?lon=118.605&lat=32.015&k=1", status: 200, check: func(t *testing.T, r resp) {
			if ps := r.json(t)["patrols"].([]any); len(ps) != 1 {
				t.Errorf("%d patrols", len(ps))
			}
		}},
		{name: "locate outside", path: "/locate?lon=118.70&lat=32.015", status: 404, field: "lon,lat", check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["nearest_grid"] != "320111002002002" {
				t.Errorf("nearest %v", m["nearest_grid"])
			}
			if d := m["distance_m"].(float64); d < 5000 || d > 6500 {
				t.Errorf("distance %v", d)
			}
		}},
		{name: "locate gcj02", path: "/locate?lon=118.6102&lat=32.0130&crs=gcj02", status: 200, check: func(t *testing.T, r resp) {
			// WGS84 (118.605, 32.015) is about (118.6102, 32.0130) in GCJ-02.
			if g := r.json(t)["grid"].(map[string]any)["code"]; g != "320111001001002" {
				t.Errorf("grid %v", g)
			}
		}},
		{name: "locate no lon", path: "/locate?lat=32", status: 400, field: "lon"},
		{name: "locate lat range", path: "/locate?lon=118&lat=91", status: 400, field: "lat"},
		{name: "locate lat text", path: "/locate?lon=118&lat=north", status: 400, field: "lat"},
		{name: "locate bad crs", path: "/locate?lon=118&lat=32&crs=mars", status: 400, field: "crs"},
		{name: "locate bad k", path: "/locate?lon=118&lat=32&k=1000", status: 400, field: "k"},
		{name: "locate unknown param", path: "/locate?lon=118&lat=32&radius=3", status: 400, field: "radius"},
		{name: "healthz", path: "/healthz", status: 200},
		{name: "readyz", path: "/readyz", status: 200},
		{name: "metrics", path: "/metrics", status: 200, check: func(t *testing.T, r resp) {
			if !bytes.Contains(r.body, []byte("gridd_http_request_duration_seconds")) {
				t.Error("no latency histogram")
			}
		}},
		{name: "reload anonymous", method: "POST", path: "/admin/reload", status: 401, field: "Authorization"},
		{name: "reload bad key", method: "POST", path: "/admin/reload", hdr: bearer("wrong"), status: 401},
		{name: "bad key on public route", path: "/collections", hdr: map[string]string{"X-API-Key": "wrong"}, status: 401},
		{name: "reload planner", method: "POST", path: "/admin/reload", hdr: bearer(plannerSecret), status: 403, field: "Authorization"},
		{name: "reload admin", method: "POST", path: "/admin/reload", hdr: bearer(adminSecret), status: 200},
		{name: "reload admin x-api-key", method: "POST", path: "/admin/reload", hdr: map[string]string{"X-API-Key": adminSecret}, status: 200},
		{name: "reload GET", path: "/admin/reload", hdr: bearer(adminSecret), status: 405},
		{name: "tilejson", path: "/tiles/grids.json", status: 200, ctype: mediaJSON, check: func(t *testing.T, r resp) {
			m := r.json(t)
			if m["tilejson"] != "3.0.0" || !strings.HasSuffix(m["tiles"].([]any)[0].(string), "/tiles/grids/{z}/{x}/{y}.mvt") {
				t.Errorf("tilejson %v", m)
			}
		}},
		{name: "tilejson unknown", path: "/tiles/roads.json", status: 404},
		{name: "patrol tiles need a key", path: "/tiles/patrols/14/1/1.mvt", status: 401, field: "Authorization"},
		{name: "patrol tiles not for planners", path: "/tiles/patrols/14/1/1.mvt", hdr: bearer(plannerSecret), status: 403, field: "Authorization"},
		{name: "patrol tile empty", path: "/tiles/patrols/14/1/1.mvt", hdr: bearer(dispSecret), status: 204},
		{name: "patrol tile below its zooms", path: "/tiles/patrols/3/1/1.mvt", hdr: bearer(dispSecret), status: 404},
		{name: "patrol TileJSON needs a key", path: "/tiles/patrols.json", status: 401, field: "Authorization"},
		{name: "integer filter not an integer", path: "/collections/buildings/items?households=abc", status: 400, field: "households"},
		{name: "integer filter on grids", path: "/collections/grids/items?households=4x", status: 400, field: "households"},
		{name: "tile zoom too deep", path: "/tiles/grids/25/1/1.mvt", status: 404},
		{name: "tile outside pyramid", path: "/tiles/grids/2/9/1.mvt", status: 404},
		{name: "tile buildings too shallow", path: "/tiles/buildings/5/26/12.mvt", status: 404},
		{name: "tile empty", path: "/tiles/grids/14/0/0.mvt", status: 204},
		{name: "tile wrong accept", path: "/tiles/grids/14/0/0.mvt", hdr: map[string]string{"Accept": "application/json"}, status: 406},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = http.MethodGet
			}
			r := do(t, ts, m, tc.path, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("%s %s: status %d, want %d\n%s", m, tc.path, r.status, tc.status, clip.Text(string(r.body), 400))
			}
			ct := r.header.Get("Content-Type")
			if tc.status >= 400 {
				if ct != mediaProblem {
					t.Fatalf("error with Content-Type %q", ct)
				}
				p := r.json(t)
				if int(p["status"].(float64)) != tc.status || p["title"] == "" || p["type"] == "" {
					t.Errorf("problem %v", p)
				}
				if tc.field != "" && p["field"] != tc.field {
					t.Errorf("problem field %v, want %q (%v)", p["field"], tc.field, p["detail"])
				}
			} else if tc.ctype != "" && ct != tc.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestTileHasGrids decodes a zoom-14 tile over the test district and finds
// the grids that overlap it.
func TestTileHasGrids(t *testing.T) {
	_, _, ts := newTestServer(t)
	tile := maptile.At([2]float64{118.605, 32.005}, 14)
	r := do(t, ts, "GET", "/tiles/grids/14/"+strconv.Itoa(int(tile.X))+"/"+strconv.Itoa(int(tile.Y))+".mvt", nil)
	if r.status != 200 || r.header.Get("Content-Type") != mediaMVT {
		t.Fatalf("status %d %q", r.status, r.header.Get("Content-Type"))
	}
	layers, err := mvt.Unmarshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Name != "grids" || len(layers[0].Features) == 0 {
		t.Fatalf("layers %v", layers)
	}
	found := false
	for _, f := range layers[0].Features {
		if f.Properties["code"] == "320111001001001" {
			found = true
		}
	}
	if !found {
		t.Error("grid 320111001001001 is not in its tile")
	}
}

// TestETagAndGzip checks conditional requests and compression.
func TestETagAndGzip(t *testing.T) {
	_, _, ts := newTestServer(t)
	path := "/collections/buildings/items?limit=500"
	r := do(t, ts, "GET", path, nil)
	etag := r.header.Get("ETag")
	if r.status != 200 || etag == "" {
		t.Fatalf("status %d etag %q", r.status, etag)
	}
	r2 := do(t, ts, "GET", path, map[string]string{"If-None-Match": etag})
	if r2.status != http.StatusNotModified || len(r2.body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", r2.status, len(r2.body))
	}
	r3 := do(t, ts, "GET", path, map[string]string{"If-None-Match": `"other"`})
	if r3.status != 200 {
		t.Errorf("other etag: status %d", r3.status)
	}
	for i := 0; i < 2; i++ { // the second answer comes from the gzip cache
		gz := do(t, ts, "GET", path, map[string]string{"Accept-Encoding": "gzip"})
		if gz.header.Get("Content-Encoding") != "gzip" {
			t.Fatal("no gzip")
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, r.body) {
			t.Error("gzip body differs from plain")
		}
		if len(gz.body) >= len(r.body)/2 {
			t.Errorf("gzip %d bytes of %d", len(gz.body), len(r.body))
		}
	}
	small := do(t, ts, "GET", "/collections/streets/items?limit=1&code=320111001", map[string]string{"Accept-Encoding": "gzip"})
	if small.header.Get("Content-Encoding") == "gzip" && len(small.body) < gzipMinBytes {
		t.Error("small body gzipped")
	}
	refused := do(t, ts, "GET", path, map[string]string{"Accept-Encoding": "gzip;q=0"})
	if refused.header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused")
	}
}

// TestBuildingsBBoxMatchesScan compares the indexed bbox query with a brute-force
// scan of the store for many random boxes.
func TestBuildingsBBoxMatchesScan(t *testing.T) {
	s, st, _ := newTestServer(t)
	c := s.cat.Load()
	lc := c.layers["buildings"]
	if lc.index == nil || lc.index.Len() != len(lc.entries) {
		t.Fatal("buildings have no index")
	}
	seed := uint64(7)
	t.Logf("seed %d", seed)
	rng := newRand(seed)
	for i := 0; i < 300; i++ {
		x0, y0 := 118.59+0.06*rng.Float64(), 31.99+0.04*rng.Float64()
		w, h := 0.03*rng.Float64(), 0.02*rng.Float64()
		b := boundFrom(x0, y0, x0+w, y0+h)
		page, matched := lc.query(itemsQuery{bbox: &b, limit: maxLimit})
		want, err := st.Features(context.Background(), storeQuery("buildings", &b))
		if err != nil {
			t.Fatal(err)
		}
		if matched != want.NumberMatched || len(page) != len(want.Features) {
			t.Fatalf("box %v: %d matched, scan %d", b, matched, want.NumberMatched)
		}
		for j := range page {
			if page[j].f.ID != want.Features[j].ID {
				t.Fatalf("box %v: order differs at %d", b, j)
			}
		}
	}
}

// TestCatalogueServesFromMemory shows items requests do not query the
// store for cached layers, and that a plan change is picked up by Rebuild.
func TestCatalogueServesFromMemory(t *testing.T) {
	s, st, ts := newTestServer(t)
	st.mu.Lock()
	before := st.calls
	st.mu.Unlock()
	for i := 0; i < 5; i++ {
		if r := do(t, ts, "GET", "/collections/grids/items?limit=5", nil); r.status != 200 {
			t.Fatal(r.status)
		}
	}
	st.mu.Lock()
	after := st.calls
	st.mu.Unlock()
	if after != before {
		t.Errorf("%d store queries for cached items", after-before)
	}
	old := do(t, ts, "GET", "/collections/grids/items", nil)
	if err := st.PublishPlan(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := do(t, ts, "GET", "/collections/grids/items", map[string]string{"If-None-Match": old.header.Get("ETag")})
	if r.status != 200 {
		t.Fatalf("stale ETag still matches after a new plan: %d", r.status)
	}
	if n := len(features(t, r.json(t))); n != 4 {
		t.Errorf("%d grids after publishing plan 2", n)
	}
}

// TestStoreFailures maps store trouble to 503/500 problems without
// leaking details.
func TestStoreFailures(t *testing.T) {
	_, st, ts := newTestServer(t)
	st.mu.Lock()
	st.pingErr = io.ErrUnexpectedEOF
	st.featErr = io.ErrClosedPipe
	st.mu.Unlock()
	// The catalogue serves reads from memory, but writes fail: not ready
	// (503, so a load balancer sends no writes here) and saying why.
	r := do(t, ts, "GET", "/readyz", nil)
	var ready map[string]any
	if err := json.Unmarshal(r.body, &ready); r.status != 503 || err != nil || ready["status"] != "degraded" ||
		ready["store"] != "unreachable" || ready["reads"] != "serving from memory" || ready["writes"] != "failing" {
		t.Errorf("readyz with a dead store: %d %s", r.status, r.body)
	}
	r = do(t, ts, "GET", "/collections/patrols/items", map[string]string{"X-API-Key": adminSecret})
	if r.status != 500 || bytes.Contains(r.body, []byte("closed pipe")) {
		t.Errorf("live layer with a failing store: %d %s", r.status, r.body)
	}
	// Cached layers keep being served.
	if r := do(t, ts, "GET", "/collections/grids/items", nil); r.status != 200 {
		t.Errorf("cached layer: %d", r.status)
	}
	m := do(t, ts, "GET", "/metrics", nil)
	if !bytes.Contains(m.body, []byte(`gridd_store_errors_total{op="features"} 1`)) {
		t.Error("store error not counted")
	}
}

// TestPanicBecomesProblem checks the adapter's recovery.
func TestPanicBecomesProblem(t *testing.T) {
	s, _, _ := newTestServer(t)
	h := s.outer(s.adapt(func(w http.ResponseWriter, r *http.Request) error { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != mediaProblem || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("panic: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

// TestNotReady answers 503 before the first catalogue build.
func TestNotReady(t *testing.T) {
	s, err := New(Config{Store: newTestStore(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/collections", "/collections/grids/items", "/readyz", "/locate?lon=118.6&lat=32"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 503 {
			t.Errorf("%s before build: %d", p, rec.Code)
		}
	}
}

// TestMetricsPerRoute checks requests are counted by route template.
func TestMetricsPerRoute(t *testing.T) {
	_, _, ts := newTestServer(t)
	do(t, ts, "GET", "/collections/grids/items/320111001001001", nil)
	do(t, ts, "GET", "/locate?lon=118.605&lat=32.015", nil)
	do(t, ts, "GET", "/locate?lon=118.9&lat=32.015", nil)
	m := string(do(t, ts, "GET", "/metrics", nil).body)
	for _, want := range []string{
		`gridd_http_requests_total{code="200",method="GET",route="/collections/{collectionId}/items/{featureId}"} 1`,
		`gridd_locate_lookups_total{result="inside"} 1`,
		`gridd_locate_lookups_total{result="outside"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestBodyLimit answers 413 for bodies over the limit, before any handler
// (or authentication) reads them.
func TestBodyLimit(t *testing.T) {
	_, _, ts := newTestServer(t)
	req, _ := http.NewRequest("POST", ts.URL+"/admin/reload", bytes.NewReader(make([]byte, 2<<20)))
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != mediaProblem {
		t.Errorf("status %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestLocateUsesStoredPatrolPositions: a patrol the store reports busy is
// not offered by /locate once the catalogue is rebuilt.
func TestLocateUsesStoredPatrolPositions(t *testing.T) {
	_, st, ts := newTestServer(t)
	if err := st.report1(context.Background(), dispatch.PositionReport{Unit: "P1", Loc: orb.Point{118.61, 32.01}, Status: dispatch.StatusBusy, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, ts, "POST", "/admin/reload", map[string]string{"X-API-Key": adminSecret}); r.status != 200 {
		t.Fatal(r.status)
	}
	r := do(t, ts, "GET", "/locate?lon=118.605&lat=32.015&k=3", nil)
	ps := r.json(t)["patrols"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["id"] != "P2" {
		t.Errorf("patrols %v, want only P2", ps)
	}
}

// TestCachedBodiesFollowHost: links are absolute, so two host names get
// their own links and ETags even when the big body is served from cache.
func TestCachedBodiesFollowHost(t *testing.T) {
	_, _, ts := newTestServer(t)
	path := "/collections/buildings/items?limit=2000" // over bodyCacheMin
	get := func(host string) resp {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Host = host
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, res.Header, b}
	}
	a1, b1, a2 := get("a.example"), get("b.example"), get("a.example")
	if len(a1.body) < bodyCacheMin {
		t.Fatalf("body of %d bytes does not exercise the cache", len(a1.body))
	}
	if !bytes.Contains(a1.body, []byte("http://a.example/")) || !bytes.Contains(b1.body, []byte("http://b.example/")) || bytes.Contains(b1.body, []byte("a.example")) {
		t.Error("links do not follow the Host")
	}
	if a1.header.Get("ETag") == b1.header.Get("ETag") || a1.header.Get("ETag") != a2.header.Get("ETag") || !bytes.Equal(a1.body, a2.body) {
		t.Error("ETags do not follow the Host, or the cached body differs")
	}
}

// TestWatchPicksUpPublishedPlan: publishing another plan in the store is
// served without a restart or a reload.
func TestWatchPicksUpPublishedPlan(t *testing.T) {
	st := newTestStore(1)
	s, err := New(Config{Store: st, PlanPoll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Watch(ctx); close(done) }()
	if err := st.PublishPlan(ctx, 2); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.cat.Load().plan != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the catalogue still serves plan 1")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(s.cat.Load().layers["grids"].entries); n != 4 {
		t.Errorf("%d grids after the switch, want plan 2's 4", n)
	}
	cancel()
	<-done
}

// TestEchoedInputStaysUTF8: input quoted back in a problem is shortened by
// characters, never mid-character (it was cut at a byte count, which split
// a Chinese character and sent invalid UTF-8), and a short one whole.
func TestEchoedInputStaysUTF8(t *testing.T) {
	_, _, ts := newTestServer(t)
	for _, tc := range []struct{ id, want string }{
		{"a" + strings.Repeat("浦", 30), "a" + strings.Repeat("浦", 30)},
		{"a" + strings.Repeat("浦", 70), "a" + strings.Repeat("浦", 59) + "…"},
	} {
		r := do(t, ts, "GET", "/collections/"+url.PathEscape(tc.id), nil)
		if r.status != http.StatusNotFound {
			t.Fatalf("status %d, want 404", r.status)
		}
		if !utf8.Valid(r.body) {
			t.Fatalf("problem is not valid UTF-8: %q", r.body)
		}
		if d, _ := r.json(t)["detail"].(string); !strings.Contains(d, strconv.Quote(tc.want)) {
			t.Errorf("detail %q does not quote %q", d, tc.want)
		}
	}
}
