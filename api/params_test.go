package api

import (
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

func TestParseBBox(t *testing.T) {
	tests := []struct {
		in      string
		crs     string
		want    [4]float64 // lon/lat min, max
		wantErr bool
	}{
		{in: "118.6,32.0,118.7,32.1", crs: CRS84URI, want: [4]float64{118.6, 32.0, 118.7, 32.1}},
		{in: "32.0,118.6,32.1,118.7", crs: EPSG4326URI, want: [4]float64{118.6, 32.0, 118.7, 32.1}},
		{in: "32.0,118.6,32.1,118.7", crs: EPSG4490URI, want: [4]float64{118.6, 32.0, 118.7, 32.1}},
		{in: "118.6,32.0,0,118.7,32.1,100", crs: CRS84URI, want: [4]float64{118.6, 32.0, 118.7, 32.1}},
		{in: "118.6,32.0,118.7", crs: CRS84URI, wantErr: true},
		{in: "118.6,32.0,118.7,32.1,1", crs: CRS84URI, wantErr: true},
		{in: "a,b,c,d", crs: CRS84URI, wantErr: true},
		{in: "118.6,32.0,118.7,Inf", crs: CRS84URI, wantErr: true},
		{in: "118.6,32.1,118.7,32.0", crs: CRS84URI, wantErr: true},
		{in: "118.6,32.0,118.7,32.1", crs: EPSG4326URI, wantErr: true}, // lat 118 out of range
		{in: "181,0,182,1", crs: CRS84URI, wantErr: true},
		{in: "", crs: CRS84URI, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in+"@"+tc.crs, func(t *testing.T) {
			c, _ := crsByURI(tc.crs)
			b, err := parseBBox(tc.in, c)
			if tc.wantErr {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("want Invalid, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
			if got != tc.want {
				t.Errorf("got %v want %v", got, tc.want)
			}
		})
	}
	// GCJ-02 boxes come back shifted to WGS84 (west and north in Nanjing).
	c, _ := crsByURI(GCJ02URI)
	b, err := parseBBox("118.6,32.0,118.7,32.1", c)
	if err != nil {
		t.Fatal(err)
	}
	if d := b.Min[0] - 118.6; d > -0.003 || d < -0.008 {
		t.Errorf("GCJ-02 bbox lon shift %v", d)
	}
}

func TestParseAcceptAndNegotiate(t *testing.T) {
	tests := []struct {
		accept, f string
		offers    []string
		want      string // "" means 406
	}{
		{"", "", []string{mediaGeoJSON, mediaJSON}, mediaGeoJSON},
		{"*/*", "", []string{mediaGeoJSON, mediaJSON}, mediaGeoJSON},
		{"application/json", "", []string{mediaGeoJSON, mediaJSON}, mediaJSON},
		{"application/*;q=0.5, application/json;q=0.9", "", []string{mediaGeoJSON, mediaJSON}, mediaJSON},
		{"application/geo+json;q=0", "", []string{mediaGeoJSON}, ""},
		{"text/html", "", []string{mediaGeoJSON}, ""},
		{"text/html, */*;q=0.1", "", []string{mediaGeoJSON}, mediaGeoJSON},
		{"APPLICATION/JSON", "", []string{mediaJSON}, mediaJSON},
		{"application/json;q=abc, application/geo+json", "", []string{mediaJSON, mediaGeoJSON}, mediaGeoJSON},
		{"garbage", "", []string{mediaJSON}, ""},
		{"text/html", "json", []string{mediaGeoJSON, mediaJSON}, mediaJSON},
		{"", "geojson", []string{mediaGeoJSON, mediaJSON}, mediaGeoJSON},
		{"", "xml", []string{mediaJSON}, ""},
		{"application/vnd.oai.openapi+json", "", []string{mediaOpenAPI, mediaJSON}, mediaOpenAPI},
	}
	for _, tc := range tests {
		t.Run(tc.accept+"|"+tc.f, func(t *testing.T) {
			u := "/x"
			if tc.f != "" {
				u += "?f=" + tc.f
			}
			r := httptest.NewRequest("GET", u, nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			got, err := negotiate(r, tc.offers...)
			if tc.want == "" {
				if !errs.Is(err, errs.Unsupported) || statusOf(err) != 406 {
					t.Fatalf("want 406, got %q %v", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	good := HashKey("s1") + " admin ops team\n# comment\n\n" + HashKey("s2") + " planner"
	ks, err := ParseKeys(strings.NewReader(good), "keys")
	if err != nil || ks.Len() != 2 {
		t.Fatalf("%v %d", err, ks.Len())
	}
	if k, ok := ks.lookup("s1"); !ok || k.who.Roles != access.Of(access.Admin) || k.who.Name != "ops team" {
		t.Errorf("s1: %v %v", k, ok)
	}
	multi := HashKey("u") + " unit,intake unit=P7 patrol seven\n" + HashKey("d") + " department department=320111-urban city works\n" + HashKey("k") + " public kiosk"
	ks, err = ParseKeys(strings.NewReader(multi), "keys")
	if err != nil {
		t.Fatal(err)
	}
	for secret, want := range map[string]access.Principal{
		"u": {Name: "patrol seven", Roles: access.Of(access.Unit, access.Intake), Unit: "P7"},
		"d": {Name: "city works", Roles: access.Of(access.Department), Department: "320111-urban"},
		"k": {Name: "kiosk"},
	} {
		if k, ok := ks.lookup(secret); !ok || k.who != want {
			t.Errorf("%s: %+v, want %+v", secret, k.who, want)
		}
	}
	if _, ok := ks.lookup("s3"); ok {
		t.Error("unknown secret accepted")
	}
	semi, err := ParseKeys(strings.NewReader(HashKey("a")+" admin; "+HashKey("b")+" dispatcher"), "GRIDD_API_KEYS")
	if err != nil || semi.Len() != 2 {
		t.Fatalf("semicolons: %v", err)
	}
	h := HashKey("x")
	for _, bad := range []string{"s1 admin", h + " root", h, "zz" + h[2:] + " admin", h + " admin,root",
		h + " unit", h + " dispatcher unit=P1", h + " unit unit=P1 unit=P2", h + " unit unit=", h + " department", h + " planner department=x"} {
		if _, err := ParseKeys(strings.NewReader(bad), "keys"); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func TestParseDatetime(t *testing.T) {
	for _, ok := range []string{"2026-01-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00Z/..", "../2026-01-01T00:00:00+08:00", "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", "/2026-01-01T00:00:00Z"} {
		if _, err := parseDatetime(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "yesterday", "../..", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "2026-13-01"} {
		if _, err := parseDatetime(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"118.6,32,118.7,32.1", "1,2,3,4,5,6", "NaN,1,2,3", "-180,-90,180,90", ",,,", "1e308,1,1e309,2"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		c := &supportedCRS[int(ci)%len(supportedCRS)]
		b, err := parseBBox(s, c)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error is not Invalid: %v", err)
			}
			return
		}
		for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite bound %v from %q", b, s)
			}
		}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			t.Fatalf("inverted bound %v from %q", b, s)
		}
	})
}

func FuzzParseLimitOffsetK(f *testing.F) {
	for _, s := range []string{"10", "0", "-1", "10000", "10001", "99999999999999999999", " 5", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseLimit(s, true); err == nil && (n < 1 || n > maxLimit) {
			t.Fatalf("limit %q → %d", s, n)
		} else if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
		if n, err := parseOffset(s, true); err == nil && (n < 0 || n > maxOffset) {
			t.Fatalf("offset %q → %d", s, n)
		} else if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
		if n, err := parseK(s, true); err == nil && (n < 0 || n > maxK) {
			t.Fatalf("k %q → %d", s, n)
		} else if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
	})
}

func FuzzParseCRS(f *testing.F) {
	for _, s := range append(crsURIs(), "", "wgs84", "EPSG:4326", "gcj02", "bd09", "http://x") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCRSParam("crs", s, true)
		if err == nil && c.URI != s {
			t.Fatalf("%q parsed as %q", s, c.URI)
		} else if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
		if g, err := parseLocateCRS(s, true); err == nil && g == "" {
			t.Fatalf("%q parsed as an empty CRS", s)
		} else if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatal(err)
		}
	})
}

func FuzzParseLonLat(f *testing.F) {
	f.Add("118.6", "32.0")
	f.Add("NaN", "1")
	f.Add("181", "0")
	f.Add("-0", "+90")
	f.Add("0x1p-2", "1_0")
	f.Fuzz(func(t *testing.T, lon, lat string) {
		p, err := parseLonLat(lon, lat, true, true)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatal(err)
			}
			return
		}
		if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
			t.Fatalf("%q,%q → %v", lon, lat, p)
		}
	})
}

func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2026-01-01T00:00:00Z", "../2026-01-01", "2026-01-01/..", "/", "..", "2026-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := parseDatetime(s)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatal(err)
			}
			return
		}
		if iv.start.IsZero() && iv.end.IsZero() {
			t.Fatalf("%q gave an unbounded interval", s)
		}
		if !iv.start.IsZero() && !iv.end.IsZero() && iv.end.Before(iv.start) {
			t.Fatalf("%q gave an inverted interval", s)
		}
	})
}

func FuzzParseAccept(f *testing.F) {
	for _, s := range []string{"*/*", "application/json;q=0.5, text/*", "a/b;q=2", ";;,,", "application/geo+json;q=0.9;x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range parseAccept(s) {
			if m.q < 0 || m.q > 1 || m.typ == "" || m.sub == "" {
				t.Fatalf("%q → %+v", s, m)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", s)
		if _, err := negotiate(r, mediaGeoJSON, mediaJSON); err != nil && !errs.Is(err, errs.Unsupported) {
			t.Fatal(err)
		}
	})
}

func FuzzParseItems(f *testing.F) {
	f.Add("limit=5&bbox=118,32,119,33&community_code=1")
	f.Add("crs=x&bbox-crs=y")
	f.Add("plan=2&offset=3&f=json")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = q
		props := map[string]bool{"community_code": true}
		grids, _ := store.Describe(store.Grids)
		p, err := parseItems(r.URL.Query(), grids, props)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatal(err)
			}
			return
		}
		if p.q.limit < 1 || p.q.limit > maxLimit || p.q.offset < 0 || p.crs == nil {
			t.Fatalf("%q → %+v", q, p)
		}
		for _, fl := range p.q.filters {
			if !props[fl.name] {
				t.Fatalf("unknown filter %q accepted", fl.name)
			}
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	f.Add(HashKey("x") + " admin name")
	f.Add("# c\n;;" + HashKey("y") + " planner")
	f.Add("zz admin")
	f.Add(HashKey("z") + " unit,department unit=P1 department=d n")
	f.Fuzz(func(t *testing.T, s string) {
		ks, err := ParseKeys(strings.NewReader(s), "fuzz")
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatal(err)
			}
			return
		}
		for _, k := range ks.keys {
			if err := k.who.Validate(); err != nil {
				t.Fatalf("%+v: %v", k.who, err)
			}
		}
	})
}
