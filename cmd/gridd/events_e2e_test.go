package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// sseMsg is one Server-Sent Events message as a client parses it.
type sseMsg struct {
	id    int64
	event string
	data  map[string]any // the envelope: id, type, at, lon, lat, data
	at    time.Time      // when the client read it
}

func (m sseMsg) body() map[string]any { b, _ := m.data["data"].(map[string]any); return b }

// sseStream is an open GET /events; msgs closes when the server ends it.
type sseStream struct {
	res   *http.Response
	msgs  chan sseMsg
	retry string
}

// openStream opens GET base/events?query with key (and Last-Event-ID when
// lastID ≥ 0); the response must be 200 text/event-stream. The stream is
// not closed at the test's end: the server's shutdown must end it.
func openStream(t testing.TB, base, query, key string, lastID int64) *sseStream {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	if lastID >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		t.Fatalf("GET /events?%s: %d %s", query, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{res: res, msgs: make(chan sseMsg, 10000)}
	retry := make(chan string, 1)
	go func() {
		defer close(s.msgs)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var m sseMsg
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.event != "" {
					m.at = time.Now()
					s.msgs <- m
				}
				m = sseMsg{}
			case strings.HasPrefix(line, "retry: "):
				retry <- strings.TrimPrefix(line, "retry: ")
			case strings.HasPrefix(line, "id: "):
				m.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				m.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m.data)
			}
		}
	}()
	select {
	case s.retry = <-retry:
	case <-time.After(10 * time.Second):
		t.Fatal("no retry: line at the start of the stream")
	}
	return s
}

func (s *sseStream) close() { s.res.Body.Close() }

// next returns the next message within d, or fails.
func (s *sseStream) next(t testing.TB, d time.Duration, what string) sseMsg {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			t.Fatalf("%s: the stream ended", what)
		}
		return m
	case <-time.After(d):
		t.Fatalf("%s: no event within %v", what, d)
	}
	return sseMsg{}
}

// quiet fails if a message comes within d.
func (s *sseStream) quiet(t testing.TB, d time.Duration, what string) {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if ok {
			t.Fatalf("%s: unexpected event %s %d %v", what, m.event, m.id, m.data)
		}
	case <-time.After(d):
	}
}

// wantReport checks the two events a new located report makes: the
// incident and the case it opened, with the case's place.
func wantReport(t *testing.T, s *sseStream, r reply, p orb.Point, what string) (first, second sseMsg) {
	t.Helper()
	a := s.next(t, 15*time.Second, what+": incident.created")
	b := s.next(t, 15*time.Second, what+": case.changed")
	if a.event != "incident.created" || a.body()["incident"] != r.m["id"] || a.body()["case"] != r.m["case_id"] {
		t.Fatalf("%s: first event %s %v, want incident.created of %v", what, a.event, a.data, r.m["id"])
	}
	if b.event != "case.changed" || b.body()["case"] != r.m["case_id"] || b.body()["action"] != "open" || b.body()["stage"] != "reported" {
		t.Fatalf("%s: second event %s %v, want case.changed open of case %v", what, b.event, b.data, r.m["case_id"])
	}
	if b.id <= a.id || a.data["id"] != float64(a.id) || a.data["type"] != a.event {
		t.Fatalf("%s: ids %d, %d; envelope %v", what, a.id, b.id, a.data)
	}
	if lon, lat := b.data["lon"].(float64), b.data["lat"].(float64); abs(lon-p[0]) > 1e-9 || abs(lat-p[1]) > 1e-9 {
		t.Fatalf("%s: case.changed at %v,%v, want %v", what, lon, lat, p)
	}
	return a, b
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func bboxAround(p orb.Point, d float64) string {
	return fmt.Sprintf("%f,%f,%f,%f", p[0]-d, p[1]-d, p[0]+d, p[1]+d)
}

// streamLoop drives the stream against a running gridd: who may read it,
// bad parameters, a report's two events, filters, a case action, plan
// publishing, and resuming with Last-Event-ID.
func streamLoop(t *testing.T, base string, k caseKeys, d caseDistrict, planID int64) {
	for _, c := range []struct {
		key, query string
		status     int
	}{
		{"", "", 401}, {k.intakeA, "", 403}, {k.unitA, "", 403}, {k.planner, "", 403},
		{k.dispatcher, "types=case.changed,bogus", 400}, {k.dispatcher, "bbox=1,2,3", 400}, {k.dispatcher, "after=-3", 400},
	} {
		r := call(t, "GET", base+"/events?"+c.query, c.key, nil)
		if r.status != c.status || c.status == 400 && !strings.Contains(string(r.body), strings.SplitN(c.query, "=", 2)[0]) {
			t.Fatalf("GET /events?%s as %q: %d %s, want %d naming the parameter", c.query, c.key, r.status, r.body, c.status)
		}
	}
	all := openStream(t, base, "", k.dispatcher, -1)
	if all.retry == "" {
		t.Fatal("no retry")
	}
	p, far := d.inside[0], d.inside[len(d.inside)-1]
	cased := openStream(t, base, "types=case.changed", k.dispatcher, -1)
	here := openStream(t, base, "bbox="+bboxAround(p, 0.0005), k.dispatcher, -1)
	elsewhere := openStream(t, base, "types=case.changed&bbox="+bboxAround(far, 0.0005), k.dispatcher, -1)

	r := want(t, "report", call(t, "POST", base+"/incidents", k.intakeA, incidentBody(cases.Hotline, "sse-1", "oth_other", &p, "", time.Now().UTC())), 201)
	first, _ := wantReport(t, all, r, p, "all")
	if m := cased.next(t, 15*time.Second, "case filter"); m.event != "case.changed" || m.body()["case"] != r.m["case_id"] {
		t.Fatalf("case filter: %s %v", m.event, m.data)
	}
	wantReport(t, here, r, p, "bbox filter")
	elsewhere.quiet(t, 300*time.Millisecond, "a box elsewhere")
	// A retried report is the same incident: nothing new to stream.
	want(t, "retry", call(t, "POST", base+"/incidents", k.intakeA, incidentBody(cases.Hotline, "sse-1", "oth_other", &p, "", time.Now().UTC())), 200)
	all.quiet(t, 300*time.Millisecond, "a retried report")

	id := int(r.num("case_id"))
	want(t, "file", call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, id), k.dispatcher, map[string]any{"action": "file"}), 200)
	m := all.next(t, 15*time.Second, "file")
	if m.event != "case.changed" || m.body()["action"] != "file" || m.body()["from"] != "reported" || m.body()["stage"] != "filed" || m.body()["actor"] != "centre" {
		t.Fatalf("file: %s %v", m.event, m.data)
	}
	if c := cased.next(t, 15*time.Second, "file (case filter)"); c.id != m.id {
		t.Fatalf("case filter got %d, want %d", c.id, m.id)
	}
	if c := here.next(t, 15*time.Second, "file (bbox filter)"); c.id != m.id {
		t.Fatalf("bbox filter got %d, want %d", c.id, m.id)
	}

	want(t, "publish", call(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, planID), k.planner, nil), 200)
	pm := all.next(t, 15*time.Second, "plan.published")
	if pm.event != "plan.published" || pm.body()["plan"] != strconv.FormatInt(planID, 10) || pm.data["lon"] != nil {
		t.Fatalf("publish: %s %v", pm.event, pm.data)
	}
	if hm := here.next(t, 15*time.Second, "plan.published in a bbox"); hm.id != pm.id {
		t.Fatalf("an event without a place passes every bbox: got %d, want %d", hm.id, pm.id)
	}

	// Resume after the first event: the rest again, in order, then live.
	again := openStream(t, base, "", k.dispatcher, first.id)
	var ids []int64
	for i := 0; i < 3; i++ {
		ids = append(ids, again.next(t, 15*time.Second, "replay").id)
	}
	if ids[0] != first.id+1 || ids[2] != pm.id {
		t.Fatalf("replayed ids %v after %d, want up to %d", ids, first.id, pm.id)
	}
	q := d.inside[1]
	r2 := want(t, "second report", call(t, "POST", base+"/incidents", k.intakeA, incidentBody(cases.Police, "sse-2", "oth_other", &q, "", time.Now().UTC())), 201)
	wantReport(t, again, r2, q, "live after replay")
	// after= resumes too, the header's absence notwithstanding.
	byQuery := openStream(t, base, "types=plan.published&after=0", k.dispatcher, -1)
	if m := byQuery.next(t, 15*time.Second, "after=0"); m.id != pm.id {
		t.Fatalf("after=0 types=plan.published: %d, want %d", m.id, pm.id)
	}
	cased.close()
}

// TestEventsEmbedded: the stream on the embedded store (in-process wake-ups).
func TestEventsEmbedded(t *testing.T) {
	dir, b := smallDistrictStore(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	streamLoop(t, base, k, districtFacts(t, b), 1)
}

// smallDistrictPostGIS imports the storetest district and a published
// plan into a fresh PostGIS database and returns its DSN.
func smallDistrictPostGIS(t testing.TB) (string, *bundle.Bundle, int64) {
	dsn := testenv.PostGIS(t)
	ctx := context.Background()
	db, err := postgis.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := storetest.SmallBundle(7)
	b.Departments = append(b.Departments, bundle.Department{Code: "DEPT-WA", Name: "水务"})
	if err := db.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreatePlan(ctx, &gridplan.Plan{Name: "one grid a community", Params: gridplan.DefaultParams(),
		Grids: storetest.CommunityGrids(b), Report: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	return dsn, b, int64(id)
}

// listenerPIDs lists the backends of gridd's event listeners.
func listenerPIDs(t *testing.T, admin *pgx.Conn) []int {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 ORDER BY pid`, postgis.ListenerName)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// TestEventsPostGISReplicas: the stream on PostGIS, then two replicas on
// one database. The hubs' safety-net poll is an hour, so only LISTEN/NOTIFY
// (and the listener's catch-up after reconnecting) can deliver: an event
// made on A is streamed by B, also after B's listener connection was
// killed, including what was made while it was down.
func TestEventsPostGISReplicas(t *testing.T) {
	dsn, b, plan := smallDistrictPostGIS(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines, "GRIDD_EVENTS_POLL": "1h"}
	baseA := startGridd(t, []string{"--seed=false"}, env)
	d := districtFacts(t, b)
	t.Run("Stream", func(t *testing.T) { streamLoop(t, baseA, k, d, plan) })

	baseB := startGridd(t, []string{"--seed=false"}, env)
	onB := openStream(t, baseB, "types=incident.created,case.changed", k.dispatcher, -1)
	onA := openStream(t, baseA, "types=incident.created,case.changed", k.dispatcher, -1)
	p := d.inside[5]
	r := want(t, "report on A", call(t, "POST", baseA+"/incidents", k.intakeA, incidentBody(cases.Portal, "two-1", "oth_other", &p, "", time.Now().UTC())), 201)
	wantReport(t, onB, r, p, "made on A, streamed by B")
	wantReport(t, onA, r, p, "made on A, streamed by A")
	q := d.inside[6]
	r = want(t, "report on B", call(t, "POST", baseB+"/incidents", k.intakeA, incidentBody(cases.Portal, "two-2", "oth_other", &q, "", time.Now().UTC())), 201)
	wantReport(t, onA, r, q, "made on B, streamed by A")
	wantReport(t, onB, r, q, "made on B, streamed by B")

	// Kill both listeners' connections; report at once, while they are down.
	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	before := listenerPIDs(t, admin)
	if len(before) != 2 {
		t.Fatalf("%d listener backends, want 2 (one a replica)", len(before))
	}
	if _, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, postgis.ListenerName); err != nil {
		t.Fatal(err)
	}
	var made []reply
	var at []orb.Point
	for i := 0; i < 3; i++ {
		p := d.inside[7+i]
		made = append(made, want(t, "report while listeners are down", call(t, "POST", baseA+"/incidents", k.intakeA,
			incidentBody(cases.Portal, fmt.Sprintf("down-%d", i), "oth_other", &p, "", time.Now().UTC())), 201))
		at = append(at, p)
	}
	for i, r := range made {
		wantReport(t, onB, r, at[i], fmt.Sprintf("report %d made while B's listener was down", i))
	}
	// B's listener is back (it delivered); A's may still be in its
	// reconnect backoff (at most 5 s): wait for both.
	var after []int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = listenerPIDs(t, admin)
		fresh := len(after) == 2 && !slices.Contains(before, after[0]) && !slices.Contains(before, after[1])
		if fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener backends %v 10 s after killing %v: want two new ones", after, before)
		}
	}
	// And live again through the new connection.
	p = d.inside[11]
	r = want(t, "report after reconnect", call(t, "POST", baseA+"/incidents", k.intakeA, incidentBody(cases.Portal, "after-1", "oth_other", &p, "", time.Now().UTC())), 201)
	wantReport(t, onB, r, p, "after the listener reconnected")
	_ = api.HashKey
}
