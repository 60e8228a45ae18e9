package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/events"
)

// recorder is an events.Publisher that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recorder) Publish(_ context.Context, evs ...events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
}

func (r *recorder) types() []events.Type {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.Type
	for _, e := range r.evs {
		out = append(out, e.Type)
	}
	return out
}

func newShiftServer(t testing.TB) (*Server, *recorder, *httptest.Server) {
	t.Helper()
	st := newTestStore(1)
	keys, err := ParseKeys(strings.NewReader(HashKey(adminSecret)+" admin ops\n"+HashKey(dispSecret)+" dispatcher centre\n"+HashKey(unitSecret)+" unit,intake unit=P1 patrol one\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s, err := New(Config{Store: st, Keys: keys, PlanPoll: -1, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, rec, ts
}

func send(t *testing.T, ts *httptest.Server, method, path, ct, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d, body not JSON: %s", method, path, res.StatusCode, b)
		}
	}
	return res.StatusCode, m
}

const day = "2026-12-03T"

func TestShiftsAPI(t *testing.T) {
	s, rec, ts := newShiftServer(t)
	at := func(h string) time.Time { t0, _ := time.Parse(time.RFC3339, day+h+":00:00Z"); return t0 }

	// Before any roster: everyone on the default 24-hour duty.
	if !s.OnDuty("P1", at("03")) {
		t.Fatal("P1 off duty with no roster")
	}
	roster := `[{"subject":"P1","start":"2026-12-03T00:00:00Z","end":"2026-12-03T08:00:00Z"},
		{"id":"p2-day","subject":"P2","start":"2026-12-03T16:00:00+08:00","end":"2026-12-04T00:00:00+08:00","note":"day"},
		{"subject":"C","start":"2026-12-03T00:00:00Z","end":"2026-12-04T00:00:00Z","note":"officer Wang"}]`
	code, m := send(t, ts, "POST", "/shifts?replace=true", "application/json", dispSecret, roster)
	if code != 200 || m["replaced"] != 3.0 {
		t.Fatalf("replace: %d %v", code, m)
	}
	if !s.OnDuty("P1", at("07")) || s.OnDuty("P1", at("08")) || s.OnDuty("P2", at("07")) || !s.OnDuty("P2", at("08")) || !s.OnDuty("w320111001001", at("23")) {
		t.Fatal("OnDuty does not follow the new roster")
	}
	// A retried replace is the same roster.
	if code, _ := send(t, ts, "POST", "/shifts?replace=true", "application/json", dispSecret, roster); code != 200 {
		t.Fatalf("retried replace: %d", code)
	}
	code, m = send(t, ts, "GET", "/shifts?subject=P1", "", dispSecret, "")
	if code != 200 || m["count"] != 1.0 {
		t.Fatalf("list P1: %d %v", code, m)
	}
	first := m["shifts"].([]any)[0].(map[string]any)
	if first["id"] != "P1@2026-12-03T00:00:00Z" || first["end"] != "2026-12-03T08:00:00Z" {
		t.Fatalf("P1's shift %v", first)
	}
	code, m = send(t, ts, "GET", "/shifts?from=2026-12-03T08:00:00Z&to=2026-12-03T09:00:00Z", "", dispSecret, "")
	if code != 200 || m["count"] != 2.0 { // P2 and C; P1 ended at 8
		t.Fatalf("list window: %d %v", code, m)
	}

	// PUT creates (201) then updates (200); a retry stays 200 and one shift.
	put := `{"subject":"P1","start":"2026-12-03T16:00:00Z","end":"2026-12-04T00:00:00Z"}`
	if code, m = send(t, ts, "PUT", "/shifts/p1-night", "application/json", dispSecret, put); code != 201 || m["id"] != "p1-night" {
		t.Fatalf("put new: %d %v", code, m)
	}
	if code, _ = send(t, ts, "PUT", "/shifts/p1-night", "application/json", dispSecret, put); code != 200 {
		t.Fatalf("put again: %d", code)
	}
	if !s.OnDuty("P1", at("17")) {
		t.Fatal("the put shift is not in the roster")
	}
	// CSV adds shifts by id (no replace).
	csv := "id,unit_or_post,start,end\np1-night,P1,2026-12-03T16:00:00Z,2026-12-03T20:00:00Z\nw1,w320111001001,2026-12-03T08:00:00Z,2026-12-03T16:00:00Z\n"
	code, m = send(t, ts, "POST", "/shifts", "text/csv; charset=utf-8", adminSecret, csv)
	if code != 200 || m["created"] != 1.0 || m["updated"] != 1.0 {
		t.Fatalf("csv post: %d %v", code, m)
	}
	if s.OnDuty("P1", at("21")) || s.OnDuty("w320111001001", at("07")) || !s.OnDuty("w320111001001", at("08")) {
		t.Fatal("the CSV did not update the roster")
	}
	if code, _ = send(t, ts, "DELETE", "/shifts/w1", "", dispSecret, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, m = send(t, ts, "DELETE", "/shifts/w1", "", dispSecret, ""); code != 404 {
		t.Fatalf("second delete: %d %v", code, m)
	}
	if !s.OnDuty("w320111001001", at("07")) {
		t.Fatal("a worker whose only shift was deleted is back on the default duty")
	}
	want := []events.Type{events.ShiftsChanged, events.ShiftsChanged, events.ShiftsChanged, events.ShiftsChanged, events.ShiftsChanged, events.ShiftsChanged}
	if got := rec.types(); len(got) != len(want) {
		t.Fatalf("events %v, want %d shifts.changed", got, len(want))
	}
}

func TestShiftsBadInput(t *testing.T) {
	_, rec, ts := newShiftServer(t)
	ok := `"start":"2026-12-03T00:00:00Z","end":"2026-12-03T08:00:00Z"`
	cases := []struct {
		name, method, path, ct, key, body string
		status                            int
		field                             string
	}{
		{"no key", "GET", "/shifts", "", "", "", 401, "Authorization"},
		{"unit role", "GET", "/shifts", "", unitSecret, "", 403, "Authorization"},
		{"unit role duty", "GET", "/duty", "", unitSecret, "", 403, "Authorization"},
		{"bad from", "GET", "/shifts?from=yesterday", "", dispSecret, "", 400, "from"},
		{"to before from", "GET", "/shifts?from=2026-12-03T08:00:00Z&to=2026-12-03T07:00:00Z", "", dispSecret, "", 400, "to"},
		{"unknown param", "GET", "/shifts?who=P1", "", dispSecret, "", 400, "who"},
		{"end before start", "POST", "/shifts", "application/json", dispSecret,
			`[{"subject":"P1",` + ok + `},{"subject":"P1","start":"2026-12-03T08:00:00Z","end":"2026-12-03T07:00:00Z"}]`, 400, "[1].end"},
		{"bad start", "POST", "/shifts", "application/json", dispSecret, `[{"subject":"P1","start":"8am","end":"2026-12-03T07:00:00Z"}]`, 400, "[0].start"},
		{"too long", "POST", "/shifts", "application/json", dispSecret, `[{"subject":"P1","start":"2026-12-01T00:00:00Z","end":"2026-12-03T07:00:00Z"}]`, 400, "[0].end"},
		{"unknown subject", "POST", "/shifts", "application/json", dispSecret, `[{"subject":"P1",` + ok + `},{"subject":"W1",` + ok + `}]`, 400, "[1].subject"},
		{"workstation is no duty post", "POST", "/shifts", "application/json", dispSecret, `[{"subject":"W320111001001",` + ok + `}]`, 400, "[0].subject"},
		{"empty subject", "POST", "/shifts", "application/json", dispSecret, `[{"subject":"",` + ok + `}]`, 400, "[0].subject"},
		{"duplicate id", "POST", "/shifts", "application/json", dispSecret, `[{"id":"a","subject":"P1",` + ok + `},{"id":"a","subject":"P2",` + ok + `}]`, 400, "[1].id"},
		{"unknown field", "POST", "/shifts", "application/json", dispSecret, `[{"unit":"P1",` + ok + `}]`, 422, "body"},
		{"not an array", "POST", "/shifts", "application/json", dispSecret, `{"subject":"P1"}`, 422, "body"},
		{"empty body", "POST", "/shifts", "application/json", dispSecret, ``, 422, "body"},
		{"bad replace", "POST", "/shifts?replace=yes", "application/json", dispSecret, `[]`, 400, "replace"},
		{"xml", "POST", "/shifts", "application/xml", dispSecret, `<x/>`, 415, "Content-Type"},
		{"csv bad time", "POST", "/shifts", "text/csv", dispSecret, "unit_or_post,start,end\nP1,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\nP1,soon,2026-12-03T08:00:00Z\n", 400, "body:3:2 start"},
		{"csv unknown subject", "POST", "/shifts", "text/csv", dispSecret, "unit_or_post,start,end\nP1,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\nX9,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\n", 400, "body:3 unit_or_post"},
		{"csv header", "POST", "/shifts", "text/csv", dispSecret, "unit,start,end\n", 400, "body:1:1"},
		{"put id mismatch", "PUT", "/shifts/a", "application/json", dispSecret, `{"id":"b","subject":"P1",` + ok + `}`, 400, "id"},
		{"put bad end", "PUT", "/shifts/a", "application/json", dispSecret, `{"subject":"P1","start":"2026-12-03T00:00:00Z","end":"2026-12-03T00:00:00Z"}`, 400, "end"},
		{"put unknown subject", "PUT", "/shifts/a", "application/json", dispSecret, `{"subject":"nobody",` + ok + `}`, 400, "subject"},
		{"delete absent", "DELETE", "/shifts/none", "", dispSecret, "", 404, "id"},
		{"bad at", "GET", "/duty?at=noon", "", dispSecret, "", 400, "at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, m := send(t, ts, c.method, c.path, c.ct, c.key, c.body)
			if code != c.status || m["field"] != c.field {
				t.Fatalf("%d field %v (%v), want %d field %q", code, m["field"], m["detail"], c.status, c.field)
			}
		})
	}
	// Nothing was stored and nothing published.
	if code, m := send(t, ts, "GET", "/shifts", "", dispSecret, ""); code != 200 || m["count"] != 0.0 {
		t.Fatalf("after bad input: %d %v", code, m)
	}
	if len(rec.types()) != 0 {
		t.Fatalf("bad input published %v", rec.types())
	}
}

func TestDuty(t *testing.T) {
	_, _, ts := newShiftServer(t)
	roster := `[{"subject":"P1","start":"2026-12-03T00:00:00Z","end":"2026-12-03T08:00:00Z"},
		{"subject":"P2","start":"2026-12-03T08:00:00Z","end":"2026-12-03T16:00:00Z"},
		{"subject":"C","start":"2026-12-03T00:00:00Z","end":"2026-12-03T12:00:00Z","note":"Wang"},
		{"subject":"C","start":"2026-12-03T12:00:00Z","end":"2026-12-04T00:00:00Z","note":"Li"},
		{"subject":"S320111001","start":"2026-12-03T00:00:00Z","end":"2026-12-03T08:00:00Z"},
		{"subject":"w320111002001","start":"2026-12-03T08:00:00Z","end":"2026-12-03T16:00:00Z"}]`
	if code, m := send(t, ts, "POST", "/shifts?replace=true", "application/json", dispSecret, roster); code != 200 {
		t.Fatalf("replace: %d %v", code, m)
	}
	code, m := send(t, ts, "GET", "/duty?at=2026-12-03T12:00:00%2B08:00", "", dispSecret, "") // 04:00 UTC
	if code != 200 {
		t.Fatalf("duty: %d %v", code, m)
	}
	b, _ := json.Marshal(m)
	var d dutyJSON
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if !d.At.Equal(time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)) || d.Shifts != 6 {
		t.Fatalf("at %v, %d shifts", d.At, d.Shifts)
	}
	if d.Centre == nil || !d.Centre.OnDuty || d.Centre.DefaultDuty || len(d.Centre.Officers) != 1 || d.Centre.Officers[0].Note != "Wang" {
		t.Fatalf("centre %+v", d.Centre)
	}
	if len(d.Streets) != 2 {
		t.Fatalf("%d streets", len(d.Streets))
	}
	s1, s2 := d.Streets[0], d.Streets[1]
	if !s1.Subcentre.OnDuty || s1.Subcentre.DefaultDuty || len(s1.Subcentre.Officers) != 1 {
		t.Fatalf("street 1 sub-centre %+v", s1.Subcentre)
	}
	if !s2.Subcentre.OnDuty || !s2.Subcentre.DefaultDuty {
		t.Fatalf("street 2 sub-centre has no shifts: default duty, got %+v", s2.Subcentre)
	}
	if s1.Patrols.Count != 1 || s1.Patrols.OnDuty[0] != "P1" || s2.Patrols.Count != 0 || s2.Patrols.Total != 1 {
		t.Fatalf("patrols %+v %+v", s1.Patrols, s2.Patrols)
	}
	if s1.Workers.Count != 2 || s2.Workers.Count != 1 || s2.Workers.Total != 2 || s2.Workers.OnDuty[0] != "w320111002002" {
		t.Fatalf("workers %+v %+v", s1.Workers, s2.Workers)
	}
	if d.Totals.PatrolsOnDuty != 1 || d.Totals.Patrols != 2 || d.Totals.Posts != 3 || d.Totals.PostsStaffed != 3 || d.Totals.StreetsCovered != 1 {
		t.Fatalf("totals %+v", d.Totals)
	}
	// At 10:00 UTC the street 1 sub-centre's only shift is over.
	_, m = send(t, ts, "GET", "/duty?at=2026-12-03T10:00:00Z", "", dispSecret, "")
	b, _ = json.Marshal(m)
	d = dutyJSON{}
	_ = json.Unmarshal(b, &d)
	if d.Streets[0].Subcentre.OnDuty || d.Totals.PostsStaffed != 2 || d.Streets[1].Patrols.Count != 1 {
		t.Fatalf("at 10:00: %+v", d)
	}
}
