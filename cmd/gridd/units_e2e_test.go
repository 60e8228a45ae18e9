package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/testenv"
)

// unitsLoop drives the field units over HTTP against a running gridd:
// positions from the vehicle-location system, the live /locate, the
// dispatcher's views, and atomic assignment with release.
func unitsLoop(t *testing.T, base, fleet, disp, intake string, b *bundle.Bundle) {
	p0, p1 := b.Patrols[0], b.Patrols[1]
	w0 := b.Workers[0]
	at := func(m int) string { return caseEpoch.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	// p0 moves 100 m east; p1 goes off duty at home; a worker reports.
	moved := orb.Point{p0.Loc[0] + 0.001, p0.Loc[1]}
	batch := []map[string]any{
		{"unit": p0.ID, "lon": moved[0], "lat": moved[1], "at": at(2), "status": "available"},
		{"unit": p0.ID, "lon": p0.Loc[0], "lat": p0.Loc[1], "at": at(1), "status": "available"},
		{"unit": p1.ID, "lon": p1.Loc[0], "lat": p1.Loc[1], "at": at(1), "status": "off_duty"},
		{"unit": w0.ID, "lon": p0.Loc[0], "lat": p0.Loc[1], "at": at(1), "status": "available"},
	}
	r := want(t, "positions", call(t, "POST", base+"/units/positions", fleet, batch), 200)
	if r.num("moved") != 3 || r.num("kept_older") != 1 {
		t.Fatalf("positions: %s", r.body)
	}
	if r := want(t, "replay", call(t, "POST", base+"/units/positions", fleet, batch), 200); r.num("duplicate") != 4 {
		t.Fatalf("replay: %s", r.body)
	}
	// A bad batch is refused whole.
	bad := []map[string]any{batch[0], {"unit": p0.ID, "lon": 200, "lat": 32, "at": at(3), "status": "busy"}}
	if r := want(t, "bad batch", call(t, "POST", base+"/units/positions", fleet, bad), 400); r.str("field") != "[1].lon" {
		t.Fatalf("bad batch: %s", r.body)
	}
	// /locate sees the move and the off-duty unit at once.
	loc := call(t, "GET", fmt.Sprintf("%s/locate?lon=%v&lat=%v&k=5", base, moved[0], moved[1]), "", nil)
	ps, _ := loc.m["patrols"].([]any)
	if len(ps) == 0 || ps[0].(map[string]any)["id"] != p0.ID || ps[0].(map[string]any)["distance_m"].(float64) > 1 {
		t.Fatalf("/locate at p0's new position: %s", loc.body)
	}
	for _, p := range ps {
		if p.(map[string]any)["id"] == p1.ID {
			t.Fatalf("/locate offers the off-duty %s", p1.ID)
		}
	}
	// The dispatcher's views.
	u := want(t, "unit", call(t, "GET", base+"/units/"+p0.ID, disp, nil), 200)
	if props := u.m["properties"].(map[string]any); props["kind"] != "patrol" || props["reported_at"] != at(2) {
		t.Fatalf("unit: %s", u.body)
	}
	fc := want(t, "off duty", call(t, "GET", base+"/units?status=off_duty", disp, nil), 200)
	if fs := fc.m["features"].([]any); len(fs) != 1 || fs[0].(map[string]any)["id"] != p1.ID {
		t.Fatalf("off-duty units: %s", fc.body)
	}
	tr := want(t, "track", call(t, "GET", fmt.Sprintf("%s/units/%s/track?from=%s&to=%s", base, p0.ID, at(0), at(10)), disp, nil), 200)
	if g := tr.m["geometry"].(map[string]any); g["type"] != "LineString" || len(g["coordinates"].([]any)) != 2 {
		t.Fatalf("track: %s", tr.body)
	}
	want(t, "units without a key", call(t, "GET", base+"/units", "", nil), 401)

	// Two cases near p0; two dispatchers send p0 to both at once.
	var ids []int
	for i, p := range []orb.Point{{moved[0] + 0.002, moved[1]}, {moved[0], moved[1] + 0.002}} {
		in := want(t, "intake", call(t, "POST", base+"/incidents", intake, incidentBody(cases.Video, fmt.Sprintf("units-%d", i), "str_illegal_parking", &p, "", caseEpoch)), 201)
		id := int(in.num("case_id"))
		want(t, "file", call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, id), disp, map[string]any{"action": "file"}), 200)
		ids = append(ids, id)
	}
	sg := want(t, "suggestions", call(t, "GET", fmt.Sprintf("%s/cases/%d/suggestions?k=3", base, ids[0]), disp, nil), 200)
	found := false
	for _, s := range sg.m["suggestions"].([]any) {
		found = found || s.(map[string]any)["unit"] == p0.ID
	}
	if !found { // p0 is 200 m away; a bundle may have a nearer patrol, not three
		t.Fatalf("suggestions without %s: %s", p0.ID, sg.body)
	}
	replies := make([]reply, 2)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, id), disp, map[string]any{"action": "dispatch", "unit": p0.ID})
		}()
	}
	wg.Wait()
	win, lose := 0, 1
	if replies[0].status != 200 {
		win, lose = 1, 0
	}
	if replies[win].status != 200 || replies[lose].status != 409 || int(replies[lose].num("held_case")) != ids[win] {
		t.Fatalf("concurrent dispatch: %d %s / %d %s", replies[0].status, replies[0].body, replies[1].status, replies[1].body)
	}
	u = want(t, "busy unit", call(t, "GET", base+"/units/"+p0.ID, disp, nil), 200)
	if props := u.m["properties"].(map[string]any); props["status"] != "busy" || int(props["held_case"].(float64)) != ids[win] {
		t.Fatalf("busy unit: %s", u.body)
	}
	for _, act := range []string{"accept", "resolve"} {
		want(t, act, call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, ids[win]), disp, map[string]any{"action": act}), 200)
	}
	u = want(t, "released unit", call(t, "GET", base+"/units/"+p0.ID, disp, nil), 200)
	if props := u.m["properties"].(map[string]any); props["status"] != "available" {
		t.Fatalf("released unit: %s", u.body)
	}
	loc = call(t, "GET", fmt.Sprintf("%s/locate?lon=%v&lat=%v&k=1", base, moved[0], moved[1]), "", nil)
	if ps, _ := loc.m["patrols"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != p0.ID {
		t.Fatalf("/locate after release: %s", loc.body)
	}
	want(t, "dispatch after release", call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, ids[lose]), disp, map[string]any{"action": "dispatch", "unit": p0.ID}), 200)
}

func unitKeys() (fleet, disp, intake, lines string) {
	fleet, disp, intake = "k-fleet", "k-disp", "k-intake"
	lines = api.HashKey(fleet) + " fleet avl\n" + api.HashKey(disp) + " dispatcher centre\n" + api.HashKey(intake) + " intake platform"
	return
}

// TestUnitsEmbedded runs the units loop on the embedded store.
func TestUnitsEmbedded(t *testing.T) {
	dir, b := smallDistrictStore(t)
	fleet, disp, intake, lines := unitKeys()
	base := startGridd(t, []string{"--data", dir, "--seed=false", "--clock-start", caseEpoch.Add(time.Hour).Format(time.RFC3339)}, map[string]string{"GRIDD_API_KEYS": lines})
	unitsLoop(t, base, fleet, disp, intake, b)
}

// TestUnitsPostGIS runs the units loop on PostGIS over the seeded Pukou
// district.
func TestUnitsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	fleet, disp, intake, lines := unitKeys()
	base := startGridd(t, []string{"--clock-start", caseEpoch.Add(time.Hour).Format(time.RFC3339)}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": lines})
	unitsLoop(t, base, fleet, disp, intake, b)
}

// TestUnitsReplicas: two gridd on one PostGIS, the event poll at an hour
// so only LISTEN/NOTIFY carries events. A unit moved on A moves on B's
// /locate within a second, and a unit going off duty on A leaves B's
// nearest-available answer.
func TestUnitsReplicas(t *testing.T) {
	dsn := testenv.PostGIS(t)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	fleet, _, _, lines := unitKeys()
	args := []string{"--clock-start", caseEpoch.Add(time.Hour).Format(time.RFC3339)}
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": lines, "GRIDD_EVENTS_POLL": "1h"}
	baseA := startGridd(t, args, env)
	baseB := startGridd(t, args, env)

	p := b.Patrols[0]
	far := orb.Point{p.Loc[0] + 0.013, p.Loc[1] + 0.007} // about 1.5 km away
	nearestAt := func(base string, pt orb.Point) (string, float64) {
		loc := call(t, "GET", fmt.Sprintf("%s/locate?lon=%v&lat=%v&k=1", base, pt[0], pt[1]), "", nil)
		ps, _ := loc.m["patrols"].([]any)
		if len(ps) == 0 {
			return "", 0
		}
		m := ps[0].(map[string]any)
		return m["id"].(string), m["distance_m"].(float64)
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen on replica B within 1 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	at := caseEpoch.Add(30 * time.Minute).Format(time.RFC3339)
	start := time.Now()
	want(t, "move on A", call(t, "POST", baseA+"/units/positions", fleet,
		[]map[string]any{{"unit": p.ID, "lon": far[0], "lat": far[1], "at": at, "status": "available"}}), 200)
	within("the move", func() bool { id, d := nearestAt(baseB, far); return id == p.ID && d < 1 })
	t.Logf("B saw A's position report after %v", time.Since(start).Round(time.Millisecond))

	at = caseEpoch.Add(31 * time.Minute).Format(time.RFC3339)
	want(t, "off duty on A", call(t, "POST", baseA+"/units/positions", fleet,
		[]map[string]any{{"unit": p.ID, "lon": far[0], "lat": far[1], "at": at, "status": "off_duty"}}), 200)
	within("off duty", func() bool { id, _ := nearestAt(baseB, far); return id != p.ID })
}
