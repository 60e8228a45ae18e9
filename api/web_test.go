package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/web"
)

// newPagesServer is newTestServer with map pages from assets.
func newPagesServer(t *testing.T, pages *Pages) *httptest.Server {
	t.Helper()
	s, err := New(Config{Store: newTestStore(1), NewLocator: testLocator, PlanPoll: -1, Pages: pages})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// testAssets is a small stand-in for web.Dist(), with an attribution-
// breaking basemap to check the configuration is escaped.
func testAssets() fstest.MapFS {
	page := `<html><script id="gridd-config" type="application/json">{{config}}</script><script src="/static/app-ABCDEF1234.js"></script>`
	return fstest.MapFS{
		"console.html":          {Data: []byte("console " + page)},
		"planner.html":          {Data: []byte("planner " + page)},
		"worker.txt":            {Data: []byte("/static/worker-ABCDEF1234.mjs\n")},
		"app-ABCDEF1234.js":     {Data: []byte("console.log(1)")},
		"app.css":               {Data: []byte("body{}")},
		"LICENSES.txt":          {Data: []byte("MIT")},
		"worker-ABCDEF1234.mjs": {Data: []byte("self.x=1")},
	}
}

func TestPagesRouting(t *testing.T) {
	ts := newPagesServer(t, &Pages{Assets: testAssets(), Basemap: Basemap{URL: "https://tiles.example/{z}/{x}/{y}.png", CRS: geo.GCJ02, Attribution: "</script><b>x</b>"}})
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	cases := []struct {
		name, path string
		hdr        map[string]string
		status     int
		ctype      string
		body       string // a substring of the body
		cache      string // Cache-Control
	}{
		{name: "browser gets the console", path: "/", hdr: map[string]string{"Accept": browser}, status: 200, ctype: "text/html; charset=utf-8", body: "console <html>", cache: "no-cache"},
		{name: "f=html", path: "/?f=html", status: 200, ctype: "text/html; charset=utf-8", body: "console"},
		{name: "no Accept gets JSON", path: "/", status: 200, ctype: mediaJSON, body: `"links"`},
		{name: "*/* gets JSON", path: "/", hdr: map[string]string{"Accept": "*/*"}, status: 200, ctype: mediaJSON, body: `"links"`},
		{name: "JSON preferred", path: "/", hdr: map[string]string{"Accept": "application/json, text/html;q=0.5"}, status: 200, ctype: mediaJSON},
		{name: "f=json beats a browser", path: "/?f=json", hdr: map[string]string{"Accept": browser}, status: 200, ctype: mediaJSON},
		{name: "planner", path: "/planner", status: 200, ctype: "text/html; charset=utf-8", body: "planner <html>"},
		{name: "planner unknown param", path: "/planner?x=1", status: 400},
		{name: "hashed asset cached a year", path: "/static/app-ABCDEF1234.js", status: 200, ctype: "text/javascript; charset=utf-8", body: "console.log", cache: "public, max-age=31536000, immutable"},
		{name: "worker module with v", path: "/static/worker-ABCDEF1234.mjs?v=6.17.0", status: 200, ctype: "text/javascript; charset=utf-8"},
		{name: "unhashed asset cached briefly", path: "/static/app.css", status: 200, ctype: "text/css; charset=utf-8", cache: "public, max-age=300"},
		{name: "licences", path: "/static/LICENSES.txt", status: 200, ctype: "text/plain; charset=utf-8", body: "MIT"},
		{name: "missing asset", path: "/static/nope.js", status: 404},
		{name: "pages are not assets", path: "/static/console.html", status: 404},
		{name: "no traversal (the router cleans the path and redirects)", path: "/static/../go.mod", status: 301},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, ts, "GET", tc.path, tc.hdr)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, clip.Text(string(r.body), 200))
			}
			if tc.ctype != "" && r.header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", r.header.Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(string(r.body), tc.body) {
				t.Errorf("body lacks %q: %s", tc.body, clip.Text(string(r.body), 200))
			}
			if tc.cache != "" && r.header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", r.header.Get("Cache-Control"), tc.cache)
			}
		})
	}

	// The page carries the configuration as valid JSON, and the basemap's
	// attribution cannot close the script element.
	r := do(t, ts, "GET", "/planner", nil)
	m := regexp.MustCompile(`(?s)<script id="gridd-config" type="application/json">(.*?)</script>`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no config element in %s", r.body)
	}
	var cfg struct {
		Worker  string            `json:"worker"`
		Basemap map[string]string `json:"basemap"`
	}
	if err := json.Unmarshal(m[1], &cfg); err != nil {
		t.Fatalf("config %s: %v", m[1], err)
	}
	if cfg.Worker != "/static/worker-ABCDEF1234.mjs" || cfg.Basemap["crs"] != "gcj02" || cfg.Basemap["attribution"] != "</script><b>x</b>" {
		t.Errorf("config %+v", cfg)
	}
	// A conditional request of the page is answered 304.
	r2 := do(t, ts, "GET", "/planner", map[string]string{"If-None-Match": r.header.Get("ETag")})
	if r2.status != 304 {
		t.Errorf("If-None-Match on the page: %d", r2.status)
	}
}

// TestNoPages: without Config.Pages, / stays the JSON landing page (a
// browser's Accept still gets it, via */*), and the page routes are 404.
func TestNoPages(t *testing.T) {
	_, _, ts := newTestServer(t)
	r := do(t, ts, "GET", "/", map[string]string{"Accept": "text/html,*/*;q=0.8"})
	if r.status != 200 || r.header.Get("Content-Type") != mediaJSON {
		t.Errorf("/ for a browser without pages: %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, p := range []string{"/planner", "/static/LICENSES.txt"} {
		if r := do(t, ts, "GET", p, nil); r.status != 404 {
			t.Errorf("%s without pages: %d", p, r.status)
		}
	}
}

// TestBuiltPages serves the committed web/dist: both pages name scripts,
// styles and a worker that are there, with their content types.
func TestBuiltPages(t *testing.T) {
	ts := newPagesServer(t, &Pages{Assets: web.Dist()})
	ref := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)
	for _, page := range []string{"/?f=html", "/planner"} {
		r := do(t, ts, "GET", page, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", page, r.status)
		}
		refs := ref.FindAllSubmatch(r.body, -1)
		if len(refs) < 3 {
			t.Fatalf("%s names %d assets: %s", page, len(refs), r.body)
		}
		for _, m := range refs {
			a := do(t, ts, "GET", string(m[1]), nil)
			want := "text/javascript; charset=utf-8"
			if strings.HasSuffix(string(m[1]), ".css") {
				want = "text/css; charset=utf-8"
			}
			if a.status != 200 || a.header.Get("Content-Type") != want || len(a.body) == 0 {
				t.Errorf("%s: %s answers %d %q (%d bytes)", page, m[1], a.status, a.header.Get("Content-Type"), len(a.body))
			}
		}
	}
	if r := do(t, ts, "GET", "/static/LICENSES.txt", nil); r.status != 200 || !strings.Contains(string(r.body), "maplibre-gl") {
		t.Errorf("LICENSES.txt: %d", r.status)
	}
}

func TestBasemapValidate(t *testing.T) {
	for _, tc := range []struct {
		b     Basemap
		field string // "" when valid
	}{
		{Basemap{}, ""},
		{Basemap{URL: "https://t.example/{z}/{x}/{y}.png", CRS: geo.WGS84}, ""},
		{Basemap{URL: "/tiles/{z}/{x}/{y}.png", CRS: geo.GCJ02}, ""},
		{Basemap{URL: "https://t.example/{z}/{x}.png", CRS: geo.WGS84}, "basemap"},
		{Basemap{URL: "ftp://t.example/{z}/{x}/{y}.png", CRS: geo.WGS84}, "basemap"},
		{Basemap{URL: "https://t.example/{z}/{x}/{y}.png", CRS: geo.BD09}, "basemap-crs"},
	} {
		err := tc.b.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.b, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Field != tc.field {
			t.Errorf("%+v: error %v, want one on %q", tc.b, err, tc.field)
		}
	}
}
