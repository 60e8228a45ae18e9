package api

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestBadQueryStrings: a query that net/url would silently shorten, or
// that holds bytes no parameter holds, is 400 naming the parameter, on
// every route, before the route sees it.
func TestBadQueryStrings(t *testing.T) {
	_, _, ts := newTestServer(t)
	disp := map[string]string{"X-API-Key": dispSecret}
	for _, tc := range []struct {
		path  string
		field string
	}{
		{"/collections/buildings/items?bbox=118.6,32.0,118.61,32.01%ZZ", "bbox"},
		{"/collections/buildings/items?limit=5;offset=1", "limit"},
		{"/collections/grids/items?kind=urban&x%G1=1", "x%G1"},
		{"/collections/grids/items?=1", "=1"},
		{"/collections/grids/items?kind=%ff", "kind"},
		{"/collections/patrols/items?id=%00", "id"},
		{"/collections/patrols/items?callsign=a%00b", "callsign"},
		{"/locate?lon=118.6&lat=32.01%", "lat"},
		{"/?%00=1", `"\x00"`},
		{"/tiles/grids/14/1/1.mvt?f=mvt;", "f"},
	} {
		r := do(t, ts, "GET", tc.path, disp)
		if r.status != 400 || r.header.Get("Content-Type") != mediaProblem {
			t.Errorf("%s: %d %s", tc.path, r.status, r.body)
			continue
		}
		if f, _ := r.json(t)["field"].(string); f != tc.field {
			t.Errorf("%s: field %q, want %q", tc.path, f, tc.field)
		}
	}
	// The same request well formed is served.
	if r := do(t, ts, "GET", "/collections/buildings/items?bbox=118.6,32.0,118.61,32.01&limit=5&offset=1", nil); r.status != 200 {
		t.Errorf("well-formed: %d", r.status)
	}
}

// TestBadFeatureIDs: ids that are not UTF-8 or hold NUL are 404, as any
// other missing feature (the store is never asked).
func TestBadFeatureIDs(t *testing.T) {
	_, st, ts := newTestServer(t)
	disp := map[string]string{"X-API-Key": dispSecret}
	st.mu.Lock()
	before := st.calls
	st.mu.Unlock()
	for _, p := range []string{"/collections/patrols/items/%ff", "/collections/patrols/items/%00", "/collections/patrols/items/P1%00", "/collections/buildings/items/%ff", "/collections/grids/items/%c3%28"} {
		r := do(t, ts, "GET", p, disp)
		if r.status != 404 || r.header.Get("Content-Type") != mediaProblem || !strings.Contains(string(r.body), `"field":"featureId"`) {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.calls != before {
		t.Errorf("the store was asked %d times for ids it cannot hold", st.calls-before)
	}
}

// TestProbesIgnoreKeys: probes answer whatever key is sent; other routes
// still refuse a wrong key.
func TestProbesIgnoreKeys(t *testing.T) {
	_, _, ts := newTestServer(t)
	for _, hdr := range []map[string]string{{"Authorization": "Bearer wrong"}, {"X-API-Key": "rotated"}, {"Authorization": "Basic x"}} {
		for _, p := range []string{"/healthz", "/readyz"} {
			if r := do(t, ts, "GET", p, hdr); r.status != 200 {
				t.Errorf("%s with %v: %d", p, hdr, r.status)
			}
		}
		if r := do(t, ts, "GET", "/collections", hdr); r.status != 401 {
			t.Errorf("/collections with %v: %d", hdr, r.status)
		}
	}
}

// TestMetricsRouteLabel: the route label is the template without mux's
// variable patterns.
func TestMetricsRouteLabel(t *testing.T) {
	_, _, ts := newTestServer(t)
	do(t, ts, "GET", "/tiles/grids/14/13605/6616.mvt", nil)
	do(t, ts, "GET", "/collections/grids/items/x", nil)
	m := string(do(t, ts, "GET", "/metrics", nil).body)
	for _, want := range []string{`route="/tiles/{collectionId}/{z}/{x}/{y}.mvt"`, `route="/collections/{collectionId}/items/{featureId}"`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, "[0-9]") {
		t.Error("a route label carries a mux pattern")
	}
	for tpl, want := range map[string]string{
		"/tiles/{collectionId}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.mvt": "/tiles/{collectionId}/{z}/{x}/{y}.mvt",
		"/a/{n:[0-9]{1,3}}/b": "/a/{n}/b",
		"/plain":              "/plain",
	} {
		if got := routeLabel(tpl); got != want {
			t.Errorf("routeLabel(%q) = %q, want %q", tpl, got, want)
		}
	}
}

// TestMethodOnMissingCollection: a method on a collection that does not
// exist is 404; on one that exists, 405 with Allow.
func TestMethodOnMissingCollection(t *testing.T) {
	_, _, ts := newTestServer(t)
	if r := do(t, ts, "POST", "/collections/reports/items", nil); r.status != 404 || !strings.Contains(string(r.body), `"field":"collectionId"`) {
		t.Errorf("POST to a missing collection: %d %s", r.status, r.body)
	}
	r := do(t, ts, "POST", "/collections/grids/items", nil)
	if r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST to grids: %d Allow %q", r.status, r.header.Get("Allow"))
	}
}

// TestPrevPastTheEnd: past the last feature, prev is the last page with
// features; with nothing matched there is no prev.
func TestPrevPastTheEnd(t *testing.T) {
	_, _, ts := newTestServer(t)
	all := do(t, ts, "GET", "/collections/grids/items?limit=1", nil).json(t)
	n := int(all["numberMatched"].(float64))
	m := do(t, ts, "GET", "/collections/grids/items?limit=3&offset="+strconv.Itoa(n+10), nil).json(t)
	prev, ok := hasLink(m, "prev")
	if !ok {
		t.Fatal("no prev past the end")
	}
	u := strings.TrimPrefix(prev, ts.URL)
	pm := do(t, ts, "GET", u, nil).json(t)
	if got := len(features(t, pm)); got == 0 {
		t.Errorf("prev %s is empty", u)
	}
	if _, ok := hasLink(pm, "next"); ok {
		t.Errorf("prev %s is not the last page", u)
	}
	none := do(t, ts, "GET", "/collections/grids/items?kind=nothing&offset=20", nil).json(t)
	if p, ok := hasLink(none, "prev"); ok {
		t.Errorf("prev %s when nothing matches", p)
	}
}

// TestCORS: read routes answer CORS to any origin by default and to listed
// origins when configured; preflights are answered for reads only.
func TestCORS(t *testing.T) {
	_, _, ts := newTestServer(t)
	origin := map[string]string{"Origin": "https://map.example"}
	r := do(t, ts, "GET", "/collections/grids/items?limit=1", origin)
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("GET: %v", r.header)
	}
	if r := do(t, ts, "GET", "/collections/grids/items?limit=1", nil); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers without an Origin")
	}
	pre := map[string]string{"Origin": "https://map.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
	r = do(t, ts, "OPTIONS", "/tiles/grids/14/1/1.mvt", pre)
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	pre["Access-Control-Request-Method"] = "POST"
	if r := do(t, ts, "OPTIONS", "/admin/reload", pre); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("preflight of a write: %d %v", r.status, r.header)
	}
	if r := do(t, ts, "OPTIONS", "/nothing/here", pre); r.status != 404 {
		t.Errorf("OPTIONS on no route: %d", r.status)
	}

	st := newTestStore(2)
	s, err := New(Config{Store: st, PlanPoll: -1, CORSOrigins: []string{"https://ok.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(s.Handler())
	defer ts2.Close()
	r = do(t, ts2, "GET", "/collections", map[string]string{"Origin": "https://ok.example"})
	if r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Errorf("listed origin: %v", r.header)
	}
	if r := do(t, ts2, "GET", "/collections", map[string]string{"Origin": "https://evil.example"}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin allowed: %v", r.header)
	}
}
