package api

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// featureIDs reads the ids of an items answer, and numberMatched.
func featureIDs(t *testing.T, r resp) ([]string, int) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, clip.Text(string(r.body), 300))
	}
	m := r.json(t)
	var out []string
	for _, f := range features(t, m) {
		out = append(out, fmt.Sprint(f["id"]))
	}
	return out, int(m["numberMatched"].(float64))
}

func itemsURL(layer string, params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return "/collections/" + layer + "/items?" + v.Encode()
}

// TestFilterItems checks filters on layers served from memory against
// predicates written out in Go over the test store's own features.
func TestFilterItems(t *testing.T) {
	_, st, ts := newTestServer(t)
	inPoly := orb.Polygon{{{118.605, 32.005}, {118.615, 32.005}, {118.61, 32.015}, {118.605, 32.005}}}
	cases := []struct {
		layer, filter string
		want          func(p map[string]any, g orb.Geometry) bool
	}{
		{"buildings", "households > 40", func(p map[string]any, _ orb.Geometry) bool { return p["households"].(int64) > 40 }},
		{"buildings", "households BETWEEN 10 AND 12 OR households IN (1, 50)", func(p map[string]any, _ orb.Geometry) bool {
			h := p["households"].(int64)
			return (h >= 10 && h <= 12) || h == 1 || h == 50
		}},
		{"buildings", "address LIKE 'Road 3 No. %' AND NOT households < 25", func(p map[string]any, _ orb.Geometry) bool {
			return strings.HasPrefix(p["address"].(string), "Road 3 No. ") && p["households"].(int64) >= 25
		}},
		{"buildings", "S_INTERSECTS(geometry, POLYGON((118.605 32.005, 118.615 32.005, 118.61 32.015, 118.605 32.005))) AND households <= 20",
			func(p map[string]any, g orb.Geometry) bool {
				return planar.PolygonContains(inPoly, g.(orb.Point)) && p["households"].(int64) <= 20
			}},
		{"grids", "kind = 'rural' AND households > 400", func(p map[string]any, _ orb.Geometry) bool {
			return p["kind"] == "rural" && p["households"].(int64) > 400
		}},
		{"grids", "S_INTERSECTS(geometry, POINT(118.615 32.0125))", func(p map[string]any, g orb.Geometry) bool {
			b := g.Bound()
			return b.Min[0] <= 118.615 && 118.615 <= b.Max[0] && b.Min[1] <= 32.0125 && 32.0125 <= b.Max[1] // the grids are squares
		}},
		{"facilities", "community_code = '' OR kind = 'centre'", func(p map[string]any, _ orb.Geometry) bool {
			return p["community_code"] == "" || p["kind"] == "centre"
		}},
		{"communities", `"street_code" <> '320111001'`, func(p map[string]any, _ orb.Geometry) bool { return p["street_code"] != "320111001" }},
	}
	for _, tc := range cases {
		t.Run(tc.layer+" "+tc.filter, func(t *testing.T) {
			all, err := st.Features(t.Context(), store.Query{Layer: store.Layer(tc.layer)})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range all.Features {
				if tc.want(f.Props, f.Geom) {
					want = append(want, f.ID)
				}
			}
			if len(want) == 0 || len(want) == len(all.Features) {
				t.Fatalf("the filter selects %d of %d: it does not discriminate", len(want), len(all.Features))
			}
			got, matched := featureIDs(t, do(t, ts, "GET", itemsURL(tc.layer, "filter", tc.filter, "limit", "10000"), nil))
			if fmt.Sprint(got) != fmt.Sprint(want) || matched != len(want) {
				t.Fatalf("got %d ids (matched %d) %v\nwant %d %v", len(got), matched, clip.Text(fmt.Sprint(got), 200), len(want), clip.Text(fmt.Sprint(want), 200))
			}
			// Paged: the same ids, and next links carry the filter.
			var paged []string
			next := itemsURL(tc.layer, "filter", tc.filter, "limit", "7")
			for next != "" {
				r := do(t, ts, "GET", next, nil)
				ids, m := featureIDs(t, r)
				if m != len(want) {
					t.Fatalf("page %s: numberMatched %d, want %d", next, m, len(want))
				}
				paged = append(paged, ids...)
				next = ""
				if href, ok := hasLink(r.json(t), "next"); ok {
					next = strings.TrimPrefix(href, ts.URL)
				}
			}
			if fmt.Sprint(paged) != fmt.Sprint(want) {
				t.Fatalf("paged: %v, want %v", clip.Text(fmt.Sprint(paged), 200), clip.Text(fmt.Sprint(want), 200))
			}
		})
	}
}

func TestSortByAndProperties(t *testing.T) {
	_, st, ts := newTestServer(t)
	all, err := st.Features(t.Context(), store.Query{Layer: store.Buildings})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(all.Features)
	sort.SliceStable(want, func(i, j int) bool {
		hi, hj := want[i].Props["households"].(int64), want[j].Props["households"].(int64)
		if hi != hj {
			return hi > hj
		}
		return want[i].Props["address"].(string) < want[j].Props["address"].(string)
	})
	var wantIDs []string
	for _, f := range want[5:25] {
		wantIDs = append(wantIDs, f.ID)
	}
	// '+' arrives as a space when not encoded; both spellings work.
	for _, sortby := range []string{"-households,+address", "-households, address"} {
		got, _ := featureIDs(t, do(t, ts, "GET", itemsURL("buildings", "sortby", sortby, "offset", "5", "limit", "20"), nil))
		if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
			t.Fatalf("sortby %s: %v, want %v", sortby, got, wantIDs)
		}
	}
	got, _ := featureIDs(t, do(t, ts, "GET", "/collections/buildings/items?sortby=-households,+address&offset=5&limit=20", nil))
	if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
		t.Fatalf("sortby with a raw '+': %v, want %v", got, wantIDs)
	}

	r := do(t, ts, "GET", itemsURL("grids", "properties", "households,kind", "filter", "households > 400", "sortby", "-code"), nil)
	fs := features(t, r.json(t))
	if len(fs) != 4 {
		t.Fatalf("%d grids with households > 400, want 4", len(fs))
	}
	prev := "~"
	for _, f := range fs {
		props := f["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if fmt.Sprint(keys) != "[households kind]" || f["geometry"] == nil {
			t.Fatalf("feature %v has properties %v", f["id"], keys)
		}
		if id := f["id"].(string); id >= prev {
			t.Fatalf("sortby -code: %s after %s", id, prev)
		} else {
			prev = id
		}
	}
	r = do(t, ts, "GET", itemsURL("streets", "properties", ""), nil)
	for _, f := range features(t, r.json(t)) {
		if p, _ := f["properties"].(map[string]any); len(p) != 0 {
			t.Fatalf("properties= (empty) returned %v", p)
		}
	}
}

// TestFilterOnStoreLayer covers patrols, which are read from the store
// on every request: the filter, sort and selection go to the store.
func TestFilterOnStoreLayer(t *testing.T) {
	_, st, ts := newTestServer(t)
	if err := st.report1(t.Context(), dispatch.PositionReport{Unit: "P2", Loc: orb.Point{118.63, 32.011}, Status: dispatch.StatusBusy, At: mustTime(t, "2026-06-01T10:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	admin := map[string]string{"Authorization": "Bearer " + adminSecret}
	for _, tc := range []struct{ filter, sortby, want string }{
		{"status = 'busy'", "", "[P2]"},
		{"status <> 'busy'", "", "[P1]"},
		{"S_INTERSECTS(geometry, BBOX(118.62, 32.0, 118.64, 32.02))", "", "[P2]"},
		{"callsign LIKE 'Patrol _'", "-updated_at", "[P2 P1]"},
		{"callsign LIKE 'patrol _'", "", "[]"},
	} {
		r := do(t, ts, "GET", itemsURL("patrols", "filter", tc.filter, "sortby", tc.sortby, "properties", "status"), admin)
		if tc.sortby == "" {
			r = do(t, ts, "GET", itemsURL("patrols", "filter", tc.filter, "properties", "status"), admin)
		}
		ids, _ := featureIDs(t, r)
		if fmt.Sprint(ids) != tc.want {
			t.Errorf("%s: %v, want %s", tc.filter, ids, tc.want)
		}
		for _, f := range features(t, r.json(t)) {
			if p := f["properties"].(map[string]any); len(p) != 1 || p["status"] == nil {
				t.Errorf("%s: properties %v, want only status", tc.filter, p)
			}
		}
	}
	if r := do(t, ts, "GET", itemsURL("patrols", "filter", "status = 'busy'"), nil); r.status != 401 {
		t.Errorf("patrols filter without a key: %d, want 401", r.status)
	}
}

func TestFilterErrors(t *testing.T) {
	_, st, ts := newTestServer(t)
	callsBefore := st.calls
	for _, tc := range []struct{ path, field, detail string }{
		{itemsURL("buildings", "filter", "colour = 'red'"), "filter", `unknown property "colour"`},
		{itemsURL("buildings", "filter", "households > 'many'"), "filter", "cannot compare integer with string"},
		{itemsURL("buildings", "filter", "households >"), "filter", "at character 13"},
		{itemsURL("buildings", "filter", "S_INTERSECTS(geometry, POINT(1 2)"), "filter", "expected ')'"},
		{itemsURL("grids", "filter", "plan_id = 1 AND"), "filter", "end of filter"},
		{itemsURL("buildings", "filter", "households > 1", "filter-lang", "cql2-json"), "filter-lang", "cql2-text"},
		{itemsURL("buildings", "filter", "households > 1", "filter-crs", "http://www.opengis.net/def/crs/EPSG/0/4326"), "filter-crs", "CRS84"},
		{itemsURL("buildings", "sortby", "-colour"), "sortby", `"colour"`},
		{itemsURL("buildings", "sortby", "geometry"), "sortby", `"geometry"`},
		{itemsURL("buildings", "sortby", "households,,address"), "sortby", "empty sort key"},
		{itemsURL("buildings", "sortby", "households,-households"), "sortby", "twice"},
		{itemsURL("buildings", "properties", "households,colour"), "properties", `"colour"`},
		{"/collections/buildings/items?filter=households>1&filter=households<3", "filter", "given 2 times"},
	} {
		r := do(t, ts, "GET", tc.path, nil)
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400: %s", tc.path, r.status, clip.Text(string(r.body), 200))
			continue
		}
		m := r.json(t)
		if m["field"] != tc.field || !strings.Contains(fmt.Sprint(m["detail"]), tc.detail) {
			t.Errorf("%s: field %v detail %q, want field %s and %q", tc.path, m["field"], m["detail"], tc.field, tc.detail)
		}
	}
	if st.calls != callsBefore {
		t.Errorf("bad requests reached the store %d times", st.calls-callsBefore)
	}
}

func TestQueryables(t *testing.T) {
	_, _, ts := newTestServer(t)
	r := do(t, ts, "GET", "/collections/grids/queryables", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), mediaSchemaJSON) {
		t.Fatalf("status %d, type %s", r.status, r.header.Get("Content-Type"))
	}
	m := r.json(t)
	if m["type"] != "object" || m["$id"] != ts.URL+"/collections/grids/queryables" || m["$schema"] == nil {
		t.Fatalf("queryables head: %v", m)
	}
	props := m["properties"].(map[string]any)
	ls, _ := store.Schema(store.Grids)
	if len(props) != len(ls.Props)+1 {
		t.Errorf("%d queryables, want %d properties and the geometry", len(props), len(ls.Props))
	}
	for _, p := range ls.Props {
		want := "string"
		if p.Int {
			want = "integer"
		}
		q, ok := props[p.Name].(map[string]any)
		if !ok || q["type"] != want {
			t.Errorf("queryable %s: %v, want type %s", p.Name, props[p.Name], want)
		}
	}
	if g := props["geometry"].(map[string]any); g["format"] != "geometry-multipolygon" {
		t.Errorf("geometry queryable %v", g)
	}
	// Every queryable the document lists is accepted by filter and sortby.
	for name := range props {
		filter := name + " IS NOT NULL"
		r := do(t, ts, "GET", itemsURL("grids", "filter", filter), nil)
		if r.status != 200 {
			t.Errorf("filter %s: %d %s", filter, r.status, clip.Text(string(r.body), 200))
		}
	}
	if r := do(t, ts, "GET", "/collections/patrols/queryables", nil); r.status != 401 {
		t.Errorf("patrols queryables without a key: %d", r.status)
	}
	if r := do(t, ts, "GET", "/collections/rivers/queryables", nil); r.status != 404 {
		t.Errorf("unknown collection: %d", r.status)
	}
	coll := do(t, ts, "GET", "/collections/buildings", nil).json(t)
	if href, ok := hasLink(coll, "http://www.opengis.net/def/rel/ogc/1.0/queryables"); !ok || href != ts.URL+"/collections/buildings/queryables" {
		t.Errorf("collection lacks its queryables link: %v", href)
	}
	conf := do(t, ts, "GET", "/conformance", nil).json(t)
	classes := fmt.Sprint(conf["conformsTo"])
	for _, c := range []string{"ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text", "ogcapi-features-1/1.0/conf/core"} {
		if !strings.Contains(classes, c) {
			t.Errorf("conformance lacks %s", c)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
