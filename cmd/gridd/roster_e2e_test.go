package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/testenv"
)

// rosterLoop drives the duty roster through the real server: a generated
// day imported as CSV in one replace, /duty hour by hour (every street a
// patrol, every post an officer, workers by day only), an edit by PUT and
// DELETE, and bad input answered 4xx naming the field.
func rosterLoop(t *testing.T, base, key string, b *bundle.Bundle) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	shifts := fixtures.Roster(b, day, 1)
	stream := openStream(t, base, "types=shifts.changed", key, -1)
	defer stream.close()
	req, _ := http.NewRequest("POST", base+"/shifts?replace=true", strings.NewReader(string(bundle.WriteShifts(shifts))))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf(`"replaced":%d`, len(shifts))) {
		t.Fatalf("CSV replace: %d %s", res.StatusCode, body)
	}
	checkDuty(t, base, key, b, day)
	if m := stream.next(t, 10*time.Second, "shifts.changed after the replace"); m.event != "shifts.changed" || m.body()["op"] != "replace" ||
		m.body()["count"] != float64(len(shifts)) {
		t.Fatalf("stream: %s %v", m.event, m.data)
	}

	// One patrol's shift moved by PUT, and a worker's deleted.
	var p, w bundle.Shift
	for _, s := range shifts {
		if s.Subject == b.Patrols[0].ID {
			p = s
		}
		if len(b.Workers) > 0 && s.Subject == b.Workers[0].ID {
			w = s
		}
	}
	r := want(t, "put", call(t, "PUT", base+"/shifts/"+p.ID, key, map[string]any{"subject": p.Subject,
		"start": day.Add(-48 * time.Hour).Format(time.RFC3339), "end": day.Add(-40 * time.Hour).Format(time.RFC3339), "note": "moved"}), 200)
	if r.str("note") != "moved" {
		t.Fatalf("put answered %s", r.body)
	}
	if m := stream.next(t, 10*time.Second, "shifts.changed after the put"); m.body()["op"] != "put" {
		t.Fatalf("stream: %v", m.data)
	}
	onDuty := func(at time.Time, unit string) bool {
		r := want(t, "duty", call(t, "GET", base+"/duty?at="+at.UTC().Format(time.RFC3339), key, nil), 200)
		return strings.Contains(string(r.body), `"`+unit+`"`)
	}
	mid := p.Start.Add(p.End.Sub(p.Start) / 2)
	if onDuty(mid, p.Subject) {
		t.Fatalf("%s still on duty at %v after its shift moved", p.Subject, mid)
	}
	if !onDuty(day.Add(-44*time.Hour), p.Subject) {
		t.Fatalf("%s not on duty in its moved shift", p.Subject)
	}
	if w.ID != "" {
		want(t, "delete", call(t, "DELETE", base+"/shifts/"+w.ID, key, nil), 204)
		want(t, "delete again", call(t, "DELETE", base+"/shifts/"+w.ID, key, nil), 404)
		// No shift left: the default 24-hour duty, at night too.
		if !onDuty(day.Add(3*time.Hour), w.Subject) {
			t.Fatalf("worker %s without shifts is not on the default duty", w.Subject)
		}
	}
	r = want(t, "list", call(t, "GET", base+"/shifts?subject="+p.Subject, key, nil), 200)
	if r.num("count") != 1 {
		t.Fatalf("shifts of %s: %s", p.Subject, r.body)
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"POST", "/shifts", []map[string]any{{"subject": p.Subject, "start": "2026-12-03T08:00:00Z", "end": "2026-12-03T07:00:00Z"}}, 400, "[0].end"},
		{"POST", "/shifts", []map[string]any{{"subject": "NOBODY", "start": "2026-12-03T08:00:00Z", "end": "2026-12-03T09:00:00Z"}}, 400, "[0].subject"},
		{"PUT", "/shifts/x", map[string]any{"subject": p.Subject, "start": "soon", "end": "2026-12-03T09:00:00Z"}, 400, "start"},
		{"GET", "/duty?at=noon", nil, 400, "at"},
		{"GET", "/shifts?from=today", nil, 400, "from"},
	} {
		r := call(t, c.method, base+c.path, key, c.body)
		if r.status != c.status || r.str("field") != c.field {
			t.Errorf("%s %s: %d field %q (%s), want %d %q", c.method, c.path, r.status, r.str("field"), r.body, c.status, c.field)
		}
	}
	want(t, "no key", call(t, "GET", base+"/duty", "", nil), 401)
}

// checkDuty asks /duty at every hour of day.
func checkDuty(t *testing.T, base, key string, b *bundle.Bundle, day time.Time) {
	t.Helper()
	for h := 0; h < 24; h++ {
		at := day.Add(time.Duration(h) * time.Hour)
		r := want(t, "duty", call(t, "GET", base+"/duty?at="+url.QueryEscape(at.Format(time.RFC3339)), key, nil), 200)
		totals, _ := r.m["totals"].(map[string]any)
		if totals["streets_with_patrol"] != float64(len(b.Streets)) || totals["posts_staffed"] != totals["posts"] || totals["posts"] != float64(len(b.Streets)+1) {
			t.Fatalf("%s: totals %v", at.Format(time.RFC3339), totals)
		}
		wantWorkers := 0.0
		if h >= 8 && h < 17 {
			wantWorkers = float64(len(b.Workers))
		}
		if totals["workers_on_duty"] != wantWorkers || totals["patrols_on_duty"].(float64) >= float64(len(b.Patrols)) && len(b.Patrols) >= 3*len(b.Streets) {
			t.Fatalf("%s: totals %v", at.Format(time.RFC3339), totals)
		}
		centre, _ := r.m["centre"].(map[string]any)
		if officers, _ := centre["officers"].([]any); len(officers) != 1 || centre["default_duty"] != false {
			t.Fatalf("%s: centre %v", at.Format(time.RFC3339), centre)
		}
	}
}

// TestRosterEmbedded runs the roster loop on the embedded store over a
// district of the test's own, then restarts gridd: the roster is loaded
// at startup.
func TestRosterEmbedded(t *testing.T) {
	dir, b := smallDistrictStore(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"GRIDD_API_KEYS": k.lines}
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, env)
	rosterLoop(t, base, k.dispatcher, b)
	// A second gridd on the same file (the first is still up; the
	// GeoPackage allows it) loads the stored roster when it starts.
	base2 := startGridd(t, []string{"--data", dir, "--seed=false"}, env)
	r := want(t, "list", call(t, "GET", base2+"/shifts?subject="+b.Patrols[0].ID, k.dispatcher, nil), 200)
	if r.num("count") != 1 {
		t.Fatalf("after restart: %s", r.body)
	}
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(-44 * time.Hour) // inside the moved shift
	r = want(t, "duty", call(t, "GET", base2+"/duty?at="+url.QueryEscape(at.Format(time.RFC3339)), k.dispatcher, nil), 200)
	if !strings.Contains(string(r.body), `"`+b.Patrols[0].ID+`"`) {
		t.Fatalf("the restarted server's roster lacks the moved shift: %s", r.body)
	}
}

// TestRosterPostGIS runs the loop on PostGIS over the seeded Pukou district.
func TestRosterPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	rosterLoop(t, base, k.dispatcher, b)
}

// TestRosterPostGISReplicas: two replicas on one database with the plan
// poll (which also reloads the roster) at an hour: a shift put on A moves
// B's /duty within a second, through shifts.changed over LISTEN/NOTIFY.
func TestRosterPostGISReplicas(t *testing.T) {
	dsn, b, _ := smallDistrictPostGIS(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines}
	baseA := startGridd(t, []string{"--seed=false", "--plan-poll=1h"}, env)
	baseB := startGridd(t, []string{"--seed=false", "--plan-poll=1h"}, env)
	p := b.Patrols[0].ID
	at := "2026-12-03T12:00:00Z"
	onDutyB := func() bool {
		r := want(t, "duty on B", call(t, "GET", baseB+"/duty?at="+at, k.dispatcher, nil), 200)
		return strings.Contains(string(r.body), `"`+p+`"`)
	}
	if !onDutyB() {
		t.Fatalf("%s without shifts is not on duty on B", p)
	}
	// A night shift on A: at noon p is off duty, on both replicas.
	want(t, "put on A", call(t, "PUT", baseA+"/shifts/night", k.dispatcher, map[string]any{"subject": p,
		"start": "2026-12-03T16:00:00Z", "end": "2026-12-04T00:00:00Z"}), 201)
	start := time.Now()
	for onDutyB() {
		if time.Since(start) > time.Second {
			t.Fatalf("after 1 s replica B still has %s on duty at noon", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B followed A's roster change in %v", time.Since(start).Round(time.Millisecond))
	// And back: deleting on B reaches A.
	want(t, "delete on B", call(t, "DELETE", baseB+"/shifts/night", k.dispatcher, nil), 204)
	start = time.Now()
	for {
		r := want(t, "duty on A", call(t, "GET", baseA+"/duty?at="+at, k.dispatcher, nil), 200)
		if strings.Contains(string(r.body), `"`+p+`"`) {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("after 1 s replica A still has %s off duty", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
