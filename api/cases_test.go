package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/geocode"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/storetest"
)

const intakeSecret = "intake-secret"

// newCaseServer serves the case routes over a GeoPackage store and the
// storetest district, with an intake and a dispatcher key.
func newCaseServer(t testing.TB) *httptest.Server {
	t.Helper()
	db, err := gpkg.Open(context.Background(), filepath.Join(t.TempDir(), "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := storetest.SmallBundle(3)
	dir, err := dispatch.NewDirectory(b, storetest.CommunityGrids(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	addrs := geocode.New(b.Buildings)
	cats, err := cases.DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	svc := &cases.Service{Store: db, Categories: cats, Now: func() time.Time { return now },
		Directory: func() cases.Locator { return dir }, Addresses: func() cases.Geocoder { return addrs }}
	keys, err := ParseKeys(strings.NewReader(HashKey(intakeSecret)+" intake platform\n"+HashKey(dispSecret)+" dispatcher centre\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: newTestStore(1), Keys: keys, PlanPoll: -1, Cases: svc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func postRaw(t testing.TB, ts *httptest.Server, path, ct, key string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return res.StatusCode, buf.Bytes()
}

// TestIncidentBadInput: each malformed report is a 4xx naming its field,
// and nothing is stored.
func TestIncidentBadInput(t *testing.T) {
	ts := newCaseServer(t)
	good := `"channel":"video","external_id":"x1","category":"env_litter","reported_at":"2026-08-01T09:00:00Z"`
	for name, tc := range map[string]struct {
		body   string
		status int
		field  string
	}{
		"time":          {`{"channel":"video","external_id":"x1","category":"env_litter","reported_at":"yesterday","address":"a"}`, 422, "/reported_at"},
		"crs":           {`{` + good + `,"location":{"lon":118.6,"lat":32.0,"crs":"mars"}}`, 422, "/location/crs"},
		"lon range":     {`{` + good + `,"location":{"lon":218.6,"lat":32.0}}`, 422, "/location"},
		"lat missing":   {`{` + good + `,"location":{"lon":118.6}}`, 422, "/location"},
		"no location":   {`{` + good + `}`, 422, "/location"},
		"channel":       {`{"channel":"fax","external_id":"x1","category":"env_litter","reported_at":"2026-08-01T09:00:00Z","address":"a"}`, 422, "/channel"},
		"category":      {`{"channel":"video","external_id":"x1","category":"nope","reported_at":"2026-08-01T09:00:00Z","address":"a"}`, 422, "/category"},
		"unknown field": {`{` + good + `,"colour":"red"}`, 422, "body"},
		"type":          {`{"channel":5}`, 422, "/channel"},
		"trailing":      {`{` + good + `,"address":"a"} {}`, 422, "body"},
		"empty":         {``, 422, "body"},
	} {
		status, body := postRaw(t, ts, "/incidents", "application/json", intakeSecret, []byte(tc.body))
		var p map[string]any
		_ = json.Unmarshal(body, &p)
		if status != tc.status || p["field"] != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", name, status, body, tc.status, tc.field)
		}
	}
	status, _ := postRaw(t, ts, "/incidents", "text/plain", intakeSecret, []byte(`{}`))
	if status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", status)
	}
	r := do(t, ts, "GET", "/incidents", map[string]string{"X-API-Key": dispSecret})
	if m := r.json(t); len(m["incidents"].([]any)) != 0 {
		t.Errorf("bad input stored something: %s", r.body)
	}
}

// FuzzIncidentBody: no body makes POST /incidents answer 5xx; a 201 is an
// incident with an id.
func FuzzIncidentBody(f *testing.F) {
	f.Add([]byte(`{"channel":"video","external_id":"a","category":"env_litter","reported_at":"2026-08-01T09:00:00Z","location":{"lon":118.63,"lat":32.04}}`))
	f.Add([]byte(`{"channel":"12345","external_id":"b","category":"oth_other","reported_at":"2026-08-01T09:00:00+08:00","address":"测试路１２號"}`))
	f.Add([]byte(`{"location":{"lon":1e309}}`))
	f.Add([]byte(`[]`))
	ts := newCaseServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		status, out := postRaw(t, ts, "/incidents", "application/json", intakeSecret, body)
		if status >= 500 {
			t.Fatalf("%d for %q: %s", status, body, out)
		}
		if status == http.StatusCreated {
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil || m["id"] == nil {
				t.Fatalf("201 without an incident: %s", out)
			}
		}
	})
}

// FuzzOpen311Form: no form makes POST /open311/v2/requests.json answer 5xx,
// and every error is in Open311's format.
func FuzzOpen311Form(f *testing.F) {
	f.Add("service_code=env_litter&lat=32.04&long=118.63&description=x")
	f.Add("service_code=env_litter&address_string=%E6%B5%8B%E8%AF%95%E8%B7%AF1%E5%8F%B7")
	f.Add("service_code=&lat=abc")
	f.Add("%zz")
	ts := newCaseServer(f)
	f.Fuzz(func(t *testing.T, form string) {
		status, out := postRaw(t, ts, "/open311/v2/requests.json", "application/x-www-form-urlencoded", "", []byte(form))
		if status >= 500 {
			t.Fatalf("%d for %q: %s", status, form, out)
		}
		var list []map[string]any
		if err := json.Unmarshal(out, &list); err != nil || len(list) != 1 {
			t.Fatalf("not an Open311 list: %s", out)
		}
		if status >= 400 && (list[0]["code"] != float64(status) || list[0]["description"] == "") {
			t.Fatalf("error format: %s", out)
		}
	})
}
