package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/geocode"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/storetest"
)

const fleetSecret = "fleet-secret-1"

type unitServer struct {
	ts   *httptest.Server
	srv  *Server
	st   store.Store
	svc  *cases.Service
	evs  *recorder
	b    *bundle.Bundle
	dir  func() *dispatch.Directory
	now  time.Time
	onOf map[string]bool // units off shift
}

// newUnitServer serves the units and case routes over a GeoPackage store
// with the storetest district; the case service and /locate share the
// directory, as in cmd/gridd.
func newUnitServer(t testing.TB) *unitServer {
	t.Helper()
	db, err := gpkg.Open(context.Background(), filepath.Join(t.TempDir(), "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := storetest.SmallBundle(3)
	if err := db.ImportBundle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	us := &unitServer{st: db, evs: &recorder{}, b: b, now: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC), onOf: map[string]bool{}}
	var mu sync.Mutex
	var dir *dispatch.Directory
	us.dir = func() *dispatch.Directory { mu.Lock(); defer mu.Unlock(); return dir }
	newLoc := func(b *bundle.Bundle, grids []gridplan.Grid, units []dispatch.Unit) (Locator, error) {
		d, err := testLocator(b, grids, units)
		if err == nil {
			mu.Lock()
			dir = d.(*dispatch.Directory)
			mu.Unlock()
		}
		return d, err
	}
	addrs := geocode.New(b.Buildings)
	cats, err := cases.DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	us.svc = &cases.Service{Store: db, Categories: cats, Now: func() time.Time { return us.now },
		Directory: func() cases.Locator { return us.dir() }, Addresses: func() cases.Geocoder { return addrs }}
	keys, err := ParseKeys(strings.NewReader(HashKey(fleetSecret)+" fleet avl\n"+HashKey(dispSecret)+" dispatcher centre\n"+
		HashKey(plannerSecret)+" planner alice\n"+HashKey(unitSecret)+" unit unit=P11 patrol one\n"+HashKey(intakeSecret)+" intake platform\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: db, Keys: keys, PlanPoll: -1, Cases: us.svc, NewLocator: newLoc, Events: us.evs,
		OnDuty: func(id string, _ time.Time) bool { return !us.onOf[id] }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	us.svc.Publisher = cases.Publishers{us.svc.Publisher, s.UnitsCasePublisher()}
	us.srv = s
	us.ts = httptest.NewServer(s.Handler())
	t.Cleanup(us.ts.Close)
	return us
}

func (us *unitServer) post(t testing.TB, path, key string, body any) (int, map[string]any) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		raw = string(mustJSON(body))
	}
	code, b := postRaw(t, us.ts, path, "application/json", key, []byte(raw))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return code, m
}

func (us *unitServer) get(t testing.TB, path, key string) (int, map[string]any) {
	t.Helper()
	r := do(t, us.ts, "GET", path, map[string]string{"X-API-Key": key})
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return r.status, m
}

func rep(unit string, lon, lat float64, at, status string) map[string]any {
	return map[string]any{"unit": unit, "lon": lon, "lat": lat, "at": at, "status": status}
}

func TestPostPositions(t *testing.T) {
	us := newUnitServer(t)
	batch := []map[string]any{
		rep("P11", 118.62, 32.05, "2026-08-01T09:00:00Z", "available"),
		rep("P11", 118.63, 32.06, "2026-08-01T09:05:00Z", "available"),
		rep("P11", 118.61, 32.04, "2026-08-01T08:55:00Z", "available"),
		rep("P21", 118.70, 32.03, "2026-08-01T09:00:00Z", "off_duty"),
	}
	code, m := us.post(t, "/units/positions", fleetSecret, batch)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	var outs []string
	for _, r := range m["results"].([]any) {
		outs = append(outs, r.(map[string]any)["outcome"].(string))
	}
	if fmt.Sprint(outs) != "[kept_older moved kept_older moved]" || m["moved"] != 2.0 || m["kept_older"] != 2.0 {
		t.Fatalf("outcomes %v (%v)", outs, m)
	}
	// A replay: every report a duplicate.
	if code, m := us.post(t, "/units/positions", fleetSecret, batch); code != 200 || m["duplicate"] != 4.0 {
		t.Fatalf("replay: %d %v", code, m)
	}
	// The unit, as a feature.
	code, f := us.get(t, "/units/P11", dispSecret)
	if code != 200 {
		t.Fatalf("%d %v", code, f)
	}
	c := f["geometry"].(map[string]any)["coordinates"].([]any)
	props := f["properties"].(map[string]any)
	if c[0] != 118.63 || c[1] != 32.06 || props["status"] != "available" || props["kind"] != "patrol" || props["reported_at"] != "2026-08-01T09:05:00Z" {
		t.Fatalf("unit %v", f)
	}
	// The live index moved: /locate no longer offers the off-duty P21,
	// and P11 is where it reported.
	r := do(t, us.ts, "GET", "/locate?lon=118.70&lat=32.03&k=4", nil)
	for _, p := range r.json(t)["patrols"].([]any) {
		p := p.(map[string]any)
		if p["id"] == "P21" {
			t.Fatalf("/locate offers the off-duty P21: %s", r.body)
		}
	}
	lon, lat, _, _ := us.dir().Units().Get("P11")
	if lon != 118.63 || lat != 32.06 {
		t.Fatalf("live index has P11 at %v %v", lon, lat)
	}
	// Events: P11 moved (status unchanged), P21 moved and went off duty.
	if got := fmt.Sprint(us.evs.types()); got != "[unit.position unit.position unit.status]" {
		t.Fatalf("events %s", got)
	}
	// The track.
	code, tr := us.get(t, "/units/P11/track?from=2026-08-01T08:00:00Z&to=2026-08-01T10:00:00Z", dispSecret)
	if code != 200 || tr["geometry"].(map[string]any)["type"] != "LineString" {
		t.Fatalf("track %d %v", code, tr)
	}
	times := tr["properties"].(map[string]any)["times"].([]any)
	if fmt.Sprint(times) != "[2026-08-01T08:55:00Z 2026-08-01T09:00:00Z 2026-08-01T09:05:00Z]" {
		t.Fatalf("track times %v", times)
	}
	// GET /units with filters.
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"", len(us.b.Patrols) + len(us.b.Workers)},
		{"?kind=patrol", len(us.b.Patrols)},
		{"?kind=worker", len(us.b.Workers)},
		{"?status=off_duty", 1},
		{"?kind=patrol&street=320111001", 2},
		{"?bbox=118.629,32.059,118.631,32.061", 1},
	} {
		code, fc := us.get(t, "/units"+tc.q, dispSecret)
		if code != 200 || len(fc["features"].([]any)) != tc.want {
			t.Errorf("GET /units%s: %d, %d features, want %d", tc.q, code, len(fc["features"].([]any)), tc.want)
		}
	}
	_, fc := us.get(t, "/units?kind=worker", dispSecret)
	w := fc["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	if w["community"] == nil || w["grid"] != nil && !strings.HasPrefix(w["grid"].(string), w["community"].(string)) || w["on_duty"] != true {
		t.Fatalf("worker %v", w)
	}
}

func TestPositionsCRS(t *testing.T) {
	us := newUnitServer(t)
	wgs := orb.Point{118.65, 32.05}
	g := geo.WGS84ToGCJ02(wgs)
	body := []map[string]any{{"unit": "P12", "lon": g[0], "lat": g[1], "crs": "gcj02", "at": "2026-08-01T09:00:00Z", "status": "available"}}
	if code, m := us.post(t, "/units/positions", fleetSecret, body); code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	u, err := us.st.Unit(context.Background(), "P12")
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.DistanceM(*u.Loc, wgs); d > 1 {
		t.Fatalf("GCJ-02 report stored %.2f m from its WGS84 position", d)
	}
}

func TestPositionsAuth(t *testing.T) {
	us := newUnitServer(t)
	own := []map[string]any{rep("P11", 118.62, 32.05, "2026-08-01T09:00:00Z", "available")}
	other := []map[string]any{rep("P11", 118.62, 32.05, "2026-08-01T09:01:00Z", "available"), rep("P12", 118.62, 32.05, "2026-08-01T09:00:00Z", "busy")}
	for _, tc := range []struct {
		name, key string
		body      any
		want      int
		field     string
	}{
		{"no key", "", own, 401, ""},
		{"planner", plannerSecret, own, 403, ""},
		{"intake", intakeSecret, own, 403, ""},
		{"unit for itself", unitSecret, own, 200, ""},
		{"unit for another", unitSecret, other, 403, "[1].unit"},
		{"dispatcher", dispSecret, other, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := us.post(t, "/units/positions", tc.key, tc.body)
			if code != tc.want || tc.field != "" && m["field"] != tc.field {
				t.Fatalf("%d %v, want %d on %q", code, m, tc.want, tc.field)
			}
		})
	}
	if code, _ := us.get(t, "/units", unitSecret); code != 403 {
		t.Errorf("a unit key lists units: %d", code)
	}
	if code, _ := us.get(t, "/units/P11", unitSecret); code != 200 {
		t.Errorf("a unit key reads itself: %d", code)
	}
	if code, _ := us.get(t, "/units/P12/track", unitSecret); code != 403 {
		t.Errorf("a unit key reads another's track: %d", code)
	}
	if code, _ := us.get(t, "/units/nobody", dispSecret); code != 404 {
		t.Errorf("unknown unit: %d", code)
	}
}

// TestPositionsBadInput: each bad batch is a 400 (404 for an unknown unit)
// naming the report and field, and the good reports around it are not
// stored.
func TestPositionsBadInput(t *testing.T) {
	us := newUnitServer(t)
	good := `{"unit":"P11","lon":118.62,"lat":32.05,"at":"2026-08-01T09:00:00Z","status":"available"}`
	for _, tc := range []struct {
		name, body string
		want       int
		field      string
	}{
		{"not json", `[{`, 422, "body"},
		{"object", good, 422, "body"},
		{"empty", `[]`, 422, "body"},
		{"no unit", `[` + good + `,{"lon":118.6,"lat":32,"at":"2026-08-01T09:00:00Z","status":"busy"}]`, 400, "[1].unit"},
		{"unknown unit", `[` + good + `,{"unit":"X","lon":118.6,"lat":32,"at":"2026-08-01T09:00:00Z","status":"busy"}]`, 404, "[1].unit"},
		{"lat range", `[` + good + `,{"unit":"P12","lon":118.6,"lat":95,"at":"2026-08-01T09:00:00Z","status":"busy"}]`, 400, "[1].lat"},
		{"lon string", `[` + good + `,{"unit":"P12","lon":"118.6","lat":32,"at":"2026-08-01T09:00:00Z","status":"busy"}]`, 400, "[1].lon"},
		{"no time", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"status":"busy"}]`, 400, "[1].at"},
		{"bad time", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"at":"yesterday","status":"busy"}]`, 400, "[1].at"},
		{"bad status", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"at":"2026-08-01T09:00:00Z","status":"asleep"}]`, 400, "[1].status"},
		{"future", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"at":"2026-08-01T10:06:00Z","status":"busy"}]`, 400, "[1].at"},
		{"bad crs", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"crs":"EPSG:3857","at":"2026-08-01T09:00:00Z","status":"busy"}]`, 400, "[1].crs"},
		{"unknown field", `[` + good + `,{"unit":"P12","lon":118.6,"lat":32,"at":"2026-08-01T09:00:00Z","status":"busy","speed":3}]`, 400, "[1].speed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := us.post(t, "/units/positions", fleetSecret, tc.body)
			if code != tc.want || m["field"] != tc.field {
				t.Fatalf("%d %v, want %d on %q", code, m, tc.want, tc.field)
			}
			tr, err := us.st.Track(context.Background(), "P11", time.Time{}.Add(time.Hour), us.now)
			if err != nil || len(tr) != 0 {
				t.Fatalf("a refused batch stored %d reports (%v)", len(tr), err)
			}
		})
	}
	if code, m := us.get(t, "/units/P11/track?from=2026-08-02T00:00:00Z&to=2026-08-01T00:00:00Z", dispSecret); code != 400 || m["field"] != "from" {
		t.Errorf("inverted track: %d %v", code, m)
	}
	if code, m := us.get(t, "/units?kind=bus", dispSecret); code != 400 || m["field"] != "kind" {
		t.Errorf("bad kind: %d %v", code, m)
	}
}

// newCase opens a filed case of category cat at p and returns its id.
func (us *unitServer) newCase(t *testing.T, ext, cat string, p orb.Point) float64 {
	t.Helper()
	code, m := us.post(t, "/incidents", intakeSecret, map[string]any{"channel": "video", "external_id": ext, "category": cat,
		"reported_at": "2026-08-01T09:30:00Z", "location": map[string]any{"lon": p[0], "lat": p[1]}})
	if code != 201 || m["case_id"] == nil {
		t.Fatalf("intake: %d %v", code, m)
	}
	id := m["case_id"].(float64)
	if code, m := us.post(t, fmt.Sprintf("/cases/%d/events", int(id)), dispSecret, map[string]any{"action": "file"}); code != 200 {
		t.Fatalf("file: %d %v", code, m)
	}
	return id
}

func (us *unitServer) suggested(t *testing.T, id float64) []string {
	t.Helper()
	code, m := us.get(t, fmt.Sprintf("/cases/%d/suggestions?k=3", int(id)), dispSecret)
	if code != 200 {
		t.Fatalf("suggestions: %d %v", code, m)
	}
	var out []string
	for _, s := range m["suggestions"].([]any) {
		out = append(out, s.(map[string]any)["unit"].(string))
	}
	return out
}

// TestDispatchHoldsUnit: of two concurrent dispatches of one unit to two
// cases exactly one wins; the loser's 409 names the case the unit holds;
// the unit is busy (and not suggested) until its case is resolved.
func TestDispatchHoldsUnit(t *testing.T) {
	us := newUnitServer(t)
	here := orb.Point{118.62, 32.046} // street 1, near P11
	a := us.newCase(t, "a", "str_illegal_parking", here)
	b := us.newCase(t, "b", "str_illegal_parking", orb.Point{118.64, 32.046})
	if got := us.suggested(t, a); len(got) == 0 || got[0] != "P11" {
		t.Fatalf("suggestions before dispatch %v, want P11 first", got)
	}
	codes := make([]int, 2)
	bodies := make([]map[string]any, 2)
	var wg sync.WaitGroup
	for i, id := range []float64{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], bodies[i] = us.post(t, fmt.Sprintf("/cases/%d/events", int(id)), dispSecret, map[string]any{"action": "dispatch", "unit": "P11"})
		}()
	}
	wg.Wait()
	win, lose := 0, 1
	if codes[0] != 200 {
		win, lose = 1, 0
	}
	held := []float64{a, b}[win]
	if codes[win] != 200 || codes[lose] != 409 || bodies[lose]["held_case"] != held || bodies[lose]["unit"] != "P11" {
		t.Fatalf("codes %v, bodies %v", codes, bodies)
	}
	// Busy whatever it reports; not suggested.
	if code, m := us.post(t, "/units/positions", fleetSecret, []map[string]any{rep("P11", 118.62, 32.045, "2026-08-01T09:40:00Z", "available")}); code != 200 ||
		m["results"].([]any)[0].(map[string]any)["status"] != "busy" {
		t.Fatalf("report while holding: %d %v", code, m)
	}
	if _, f := us.get(t, "/units/P11", dispSecret); f["properties"].(map[string]any)["held_case"] != held {
		t.Fatalf("unit %v, want held_case %v", f, held)
	}
	for _, u := range us.suggested(t, []float64{a, b}[lose]) {
		if u == "P11" {
			t.Fatal("a busy unit is suggested")
		}
	}
	for _, act := range []string{"accept", "resolve"} {
		if code, m := us.post(t, fmt.Sprintf("/cases/%d/events", int(held)), dispSecret, map[string]any{"action": act}); code != 200 {
			t.Fatalf("%s: %d %v", act, code, m)
		}
	}
	if st, _ := us.dir().UnitStatusOf("P11"); st != dispatch.StatusAvailable {
		t.Fatalf("after resolve the live index has P11 %s", st)
	}
	loser := []float64{a, b}[lose]
	if got := us.suggested(t, loser); len(got) == 0 {
		t.Fatal("no suggestions after release")
	}
	if code, m := us.post(t, fmt.Sprintf("/cases/%d/events", int(loser)), dispSecret, map[string]any{"action": "dispatch", "unit": "P11"}); code != 200 {
		t.Fatalf("dispatch after release: %d %v", code, m)
	}
	// Reassigning releases the first unit.
	if code, m := us.post(t, fmt.Sprintf("/cases/%d/events", int(loser)), dispSecret, map[string]any{"action": "dispatch", "unit": "P12"}); code != 200 {
		t.Fatalf("reassign: %d %v", code, m)
	}
	if st, _ := us.dir().UnitStatusOf("P11"); st != dispatch.StatusAvailable {
		t.Fatalf("after reassignment the live index has P11 %s", st)
	}
	if st, _ := us.dir().UnitStatusOf("P12"); st != dispatch.StatusBusy {
		t.Fatalf("after reassignment the live index has P12 %s", st)
	}
}

func TestCaseSuggestions(t *testing.T) {
	us := newUnitServer(t)
	here := orb.Point{118.62, 32.046}
	parking := us.newCase(t, "p", "str_illegal_parking", here)
	litter := us.newCase(t, "l", "env_litter", orb.Point{118.621, 32.047})
	code, m := us.get(t, fmt.Sprintf("/cases/%d/suggestions?k=4", int(parking)), dispSecret)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	ss := m["suggestions"].([]any)
	if len(ss) != 4 {
		t.Fatalf("%d suggestions: %v", len(ss), ss)
	}
	var ids []string
	for i, s := range ss {
		s := s.(map[string]any)
		ids = append(ids, s["unit"].(string))
		if s["kind"] != "patrol" {
			t.Fatalf("a %s is suggested for illegal parking", s["kind"])
		}
		if same := s["same_street"].(bool); same != (i < 2) {
			t.Fatalf("suggestion %d same_street %v: %v", i, same, ss)
		}
		if s["eta_s"].(float64) <= 0 || s["distance_m"].(float64) <= 0 {
			t.Fatalf("suggestion %v", s)
		}
	}
	if fmt.Sprint(ids[:2]) != "[P11 P12]" {
		t.Fatalf("street patrols first: %v", ids)
	}
	// Litter suits workers too; an off-shift unit is never suggested.
	us.onOf["P11"] = true
	got := us.suggested(t, litter)
	kinds := map[string]bool{}
	for _, u := range got {
		if u == "P11" {
			t.Fatal("an off-shift unit is suggested")
		}
		kinds[u[:1]] = true
	}
	if !kinds["W"] {
		t.Fatalf("no worker suggested for litter: %v", got)
	}
	// /locate follows the duty rule too.
	r := do(t, us.ts, "GET", "/locate?lon=118.618&lat=32.045&k=1", nil)
	if ps := r.json(t)["patrols"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] == "P11" {
		t.Fatalf("/locate offers the off-shift P11: %s", r.body)
	}
	us.onOf["P11"] = false
	r = do(t, us.ts, "GET", "/locate?lon=118.618&lat=32.045&k=1", nil)
	if ps := r.json(t)["patrols"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != "P11" {
		t.Fatalf("/locate without P11 back on shift: %s", r.body)
	}
	if code, _ := us.get(t, fmt.Sprintf("/cases/%d/suggestions", int(parking)), fleetSecret); code != 403 {
		t.Fatalf("a fleet key reads suggestions: %d", code)
	}
	if code, m := us.get(t, fmt.Sprintf("/cases/%d/suggestions?k=0", int(parking)), dispSecret); code != 400 || m["field"] != "k" {
		t.Fatalf("k=0: %d %v", code, m)
	}
}

// TestApplyUnitEvent: events made by another replica move this one's
// live index.
func TestApplyUnitEvent(t *testing.T) {
	us := newUnitServer(t)
	// The recorder holds this server's own events; replay them on a
	// second server over the same store, as another replica would.
	if code, m := us.post(t, "/units/positions", fleetSecret, []map[string]any{
		rep("P11", 118.63, 32.06, "2026-08-01T09:05:00Z", "available"),
		rep("P21", 118.70, 32.03, "2026-08-01T09:00:00Z", "off_duty"),
	}); code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	other, err := New(Config{Store: us.st, PlanPoll: -1, NewLocator: testLocator})
	if err != nil {
		t.Fatal(err)
	}
	// A catalogue built before the reports: the units at home.
	b := us.b
	d, err := dispatch.NewDirectory(b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &catalogue{locate: d}
	other.cat.Store(c)
	for _, ev := range us.evs.evs {
		other.ApplyUnitEvent(ev)
	}
	other.ApplyUnitEvent(events.Event{Type: events.UnitStatus, Data: []byte(`{"unit":"P12","status":"busy"}`)})
	other.ApplyUnitEvent(events.Event{Type: events.UnitStatus, Data: []byte(`{"unit":"nobody","status":"busy"}`)})
	other.ApplyUnitEvent(events.Event{Type: events.PlanPublished, Data: []byte(`{}`)})
	if lon, lat, _, _ := d.Units().Get("P11"); lon != 118.63 || lat != 32.06 {
		t.Fatalf("P11 at %v %v", lon, lat)
	}
	for id, want := range map[string]dispatch.UnitStatus{"P11": dispatch.StatusAvailable, "P21": dispatch.StatusOffDuty, "P12": dispatch.StatusBusy} {
		if st, _ := d.UnitStatusOf(id); st != want {
			t.Errorf("%s %s, want %s", id, st, want)
		}
	}
	if lon, _, _, _ := d.Units().Get("P12"); lon != b.Patrols[1].Loc[0] {
		t.Errorf("a status event moved P12 to %v", lon)
	}
}

// TestApplyUnitEventOutOfOrder: two replicas over one store. Replica A
// stores two reports of a unit and is then dispatched; replica B gets A's
// events in reverse order (as an event log appended out of order delivers
// them) and ends where A is: the later report's position, the dispatch's
// status. A's own older events coming back to it move nothing either.
func TestApplyUnitEventOutOfOrder(t *testing.T) {
	us := newUnitServer(t)
	for _, r := range []map[string]any{
		rep("P11", 118.63, 32.06, "2026-08-01T09:05:00Z", "available"),
		rep("P11", 118.64, 32.07, "2026-08-01T09:10:00Z", "off_duty"),
	} {
		if code, m := us.post(t, "/units/positions", fleetSecret, []map[string]any{r}); code != 200 {
			t.Fatalf("%d %v", code, m)
		}
	}
	own := append([]events.Event(nil), us.evs.evs...)
	if len(own) < 3 {
		t.Fatalf("%d events for two reports and a status change", len(own))
	}
	other, err := New(Config{Store: us.st, PlanPoll: -1, NewLocator: testLocator})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dispatch.NewDirectory(us.b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other.cat.Store(&catalogue{locate: d})
	for i := len(own) - 1; i >= 0; i-- {
		other.ApplyUnitEvent(own[i])
	}
	// A status change made after both reports, then a stale one.
	other.ApplyUnitEvent(events.Event{Type: events.UnitStatus, Data: []byte(`{"unit":"P11","status":"busy","at":"2026-08-01T09:11:00Z","lon":118.64,"lat":32.07}`)})
	other.ApplyUnitEvent(events.Event{Type: events.UnitStatus, Data: []byte(`{"unit":"P11","status":"available","at":"2026-08-01T09:06:00Z","lon":118.63,"lat":32.06}`)})
	if lon, lat, _, _ := d.Units().Get("P11"); lon != 118.64 || lat != 32.07 {
		t.Errorf("replica B: P11 at %v %v, want the 09:10 report's 118.64 32.07", lon, lat)
	}
	if st, _ := d.UnitStatusOf("P11"); st != dispatch.StatusBusy {
		t.Errorf("replica B: P11 %s, want busy (09:11)", st)
	}
	// Replica A's own events come back after it moved on.
	for _, ev := range own {
		us.srv.ApplyUnitEvent(ev)
	}
	live := us.srv.live()
	if st, _ := live.UnitStatusOf("P11"); st != dispatch.StatusOffDuty {
		t.Errorf("replica A: P11 %s after its own events came back, want off_duty", st)
	}
}
