package api

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gridd/gridd/geo"
)

// decimalsOf is the largest number of decimals of the numbers in coords.
func decimalsOf(t *testing.T, coords string) int {
	t.Helper()
	most := 0
	for _, tok := range strings.FieldsFunc(coords, func(r rune) bool { return strings.ContainsRune("[], ", r) }) {
		if _, err := strconv.ParseFloat(tok, 64); err != nil {
			t.Fatalf("%q is not a number", tok)
		}
		if _, frac, ok := strings.Cut(tok, "."); ok {
			most = max(most, len(frac))
		}
	}
	return most
}

// TestPrecision: every CRS is written at 7 decimals unless the caller
// asks for another precision.
func TestPrecision(t *testing.T) {
	_, st, ts := newTestServer(t)
	// A building at a point with many decimals, so rounding shows.
	st.mu.Lock()
	st.b.Buildings[0].Loc[0] += 1.234567891234e-6
	st.b.Buildings[0].Loc[1] += 9.87654321987e-7
	id := string(st.b.Buildings[0].ID)
	want := st.b.Buildings[0].Loc
	st.mu.Unlock()
	if r := do(t, ts, "POST", "/admin/reload", map[string]string{"X-API-Key": adminSecret}); r.status != 200 {
		t.Fatal(r.status)
	}
	for _, crs := range crsURIs() {
		for _, tc := range []struct {
			q        string
			decimals int
		}{{"", defaultDecimals}, {"&precision=12", 12}, {"&precision=3", 3}} {
			r := do(t, ts, "GET", "/collections/buildings/items/"+id+"?crs="+url.QueryEscape(crs)+tc.q, nil)
			if r.status != 200 {
				t.Fatalf("%s%s: %d %s", crs, tc.q, r.status, r.body)
			}
			c := r.json(t)["geometry"].(map[string]any)["coordinates"].([]any)
			raw, _ := strings.CutPrefix(string(mustJSON(c)), "")
			if d := decimalsOf(t, raw); d > tc.decimals || (tc.decimals <= 7 && d != tc.decimals) {
				t.Errorf("%s%s: %s has %d decimals, want %d", crs, tc.q, raw, d, tc.decimals)
			}
			if crs == CRS84URI {
				if math.Abs(c[0].(float64)-want[0]) > 0.5*math.Pow10(-tc.decimals)+1e-15 {
					t.Errorf("%s: lon %v is not %v rounded", tc.q, c[0], want[0])
				}
			}
		}
	}
	for _, bad := range []string{"-1", "16", "x", ""} {
		if r := do(t, ts, "GET", "/collections/buildings/items?precision="+bad, nil); r.status != 400 || !strings.Contains(string(r.body), `"field":"precision"`) {
			t.Errorf("precision=%q: %d %s", bad, r.status, r.body)
		}
	}
}

// TestLocateEchoAndCRSEnum: /locate echoes the WGS84 point it located, and
// its OpenAPI crs enum is exactly what it takes.
func TestLocateEchoAndCRSEnum(t *testing.T) {
	_, _, ts := newTestServer(t)
	api := do(t, ts, "GET", "/api?f=json", nil).json(t)
	var enum []any
	for _, p := range api["paths"].(map[string]any)["/locate"].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
		if pm, ok := p.(map[string]any); ok && pm["name"] == "crs" {
			enum = pm["schema"].(map[string]any)["enum"].([]any)
		}
	}
	if len(enum) == 0 {
		t.Fatal("no crs enum for /locate")
	}
	wgs := [2]float64{118.6051234, 32.0151234}
	for _, e := range enum {
		name := e.(string)
		c, err := parseLocateCRS(name, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := geo.FromWGS84(c, wgs)
		q := "/locate?lon=" + strconv.FormatFloat(in[0], 'f', -1, 64) + "&lat=" + strconv.FormatFloat(in[1], 'f', -1, 64) + "&crs=" + url.QueryEscape(name)
		r := do(t, ts, "GET", q, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		pt := r.json(t)["point"].(map[string]any)
		// GCJ-02 and BD-09 invert to about 1e-6°; the others exactly.
		if math.Abs(pt["lon"].(float64)-wgs[0]) > 2e-6 || math.Abs(pt["lat"].(float64)-wgs[1]) > 2e-6 {
			t.Errorf("%s: echoed %v, located %v", name, pt, wgs)
		}
	}
	for _, bad := range []string{"WGS84", "epsg:4326", "mars", " wgs84"} {
		if r := do(t, ts, "GET", "/locate?lon=118.6&lat=32.01&crs="+url.QueryEscape(bad), nil); r.status != 400 {
			t.Errorf("crs %q, not in the enum: %d", bad, r.status)
		}
	}
}
