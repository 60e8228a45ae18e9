package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// splitEast cuts grid i (a community's quadrilateral of storetest's
// district: vertical west and east edges) into a west and an east half at
// the midpoints of its bottom and top edges; the east half is a new grid
// with sequence 2. Households are recounted from the buildings.
func splitEast(t *testing.T, b *bundle.Bundle, grids []gridplan.Grid, i int) []gridplan.Grid {
	t.Helper()
	g := grids[i]
	r := g.Geom[0][0]
	mid := func(p, q orb.Point) orb.Point { return orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2} }
	m01, m23 := mid(r[0], r[1]), mid(r[2], r[3])
	west := orb.MultiPolygon{{{r[0], m01, m23, r[3], r[0]}}}
	east := orb.MultiPolygon{{{m01, r[1], r[2], m23, m01}}}
	count := func(mp orb.MultiPolygon) (n int) {
		for _, bl := range b.Buildings {
			if planar.MultiPolygonContains(mp, bl.Loc) {
				n += bl.Households
			}
		}
		return n
	}
	code2, err := bundle.NewGridCode(g.Community, 2)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]gridplan.Grid(nil), grids...)
	out[i].Geom, out[i].Households = west, count(west)
	e := g
	e.Code, e.Geom, e.Households = code2, east, count(east)
	return append(out, e)
}

func featureCollection(t *testing.T, grids []gridplan.Grid) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, grids); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a FeatureCollection as application/geo+json.
func upload(t *testing.T, u, key string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/geo+json")
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, body: raw}
	_ = json.Unmarshal(raw, &r.m)
	return r
}

func gridAt(t *testing.T, base string, p orb.Point) string {
	t.Helper()
	r := want(t, "locate", call(t, "GET", fmt.Sprintf("%s/locate?lon=%.9f&lat=%.9f", base, p[0], p[1]), "", nil), 200)
	g, _ := r.m["grid"].(map[string]any)
	code, _ := g["code"].(string)
	return code
}

func findingGrids(r reply) map[string]string {
	out := map[string]string{}
	list, _ := r.m["errors"].([]any)
	for _, x := range list {
		f, _ := x.(map[string]any)
		grid, _ := f["grid"].(string)
		rule, _ := f["rule"].(string)
		out[grid] += rule + " "
	}
	return out
}

// plannerStore fills st with storetest's district (seed 7, not Pukou),
// plan 1 (one grid a community, published) and plan 2 (a draft whose
// third grid's households disagree with the buildings).
func plannerStore(t *testing.T, st store.Store) (*bundle.Bundle, []gridplan.Grid, []gridplan.Grid) {
	t.Helper()
	ctx := context.Background()
	b := storetest.SmallBundle(7)
	if err := st.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	grids := storetest.CommunityGrids(b)
	id, err := st.CreatePlan(ctx, &gridplan.Plan{Name: "one grid a community", Params: gridplan.DefaultParams(), Grids: grids})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	spoiled := append([]gridplan.Grid(nil), grids...)
	spoiled[2].Households += 5
	if _, err := st.CreatePlan(ctx, &gridplan.Plan{Name: "spoiled", Parent: 1, Grids: spoiled}); err != nil {
		t.Fatal(err)
	}
	return b, grids, spoiled
}

// TestPlannerEmbedded runs the planner loop on the embedded store.
func TestPlannerEmbedded(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids, spoiled := plannerStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	plannerLoop(t, base, k, b, grids, spoiled)
}

// TestPlannerPostGIS runs the planner loop on PostGIS.
func TestPlannerPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids, spoiled := plannerStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	plannerLoop(t, base, k, b, grids, spoiled)
}

// plannerLoop: draft, a refused upload that changes nothing, a good
// upload, diff, publish (the locator swaps), rollback, a plan failing
// validation refused, and the role checks.
func plannerLoop(t *testing.T, base string, k caseKeys, b *bundle.Bundle, grids, spoiled []gridplan.Grid) {
	// Roles: the public and a dispatcher neither read nor publish plans.
	want(t, "public GET /plans", call(t, "GET", base+"/plans", "", nil), 401)
	want(t, "dispatcher GET /plans", call(t, "GET", base+"/plans", k.dispatcher, nil), 403)
	want(t, "public publish", call(t, "POST", base+"/plans/1/publish", "", nil), 401)
	want(t, "dispatcher publish", call(t, "POST", base+"/plans/1/publish", k.dispatcher, nil), 403)

	r := want(t, "GET /plans", call(t, "GET", base+"/plans", k.planner, nil), 200)
	if plans, _ := r.m["plans"].([]any); len(plans) != 2 || plans[1].(map[string]any)["status"] != "published" {
		t.Fatalf("plans: %s", r.body)
	}
	r = want(t, "validation of plan 1", call(t, "GET", base+"/plans/1/validation", k.planner, nil), 200)
	if errsList, ok := r.m["errors"].([]any); !ok || len(errsList) != 0 {
		t.Fatalf("plan 1 validation: %s", r.body)
	}
	want(t, "bad plan id", call(t, "GET", base+"/plans/x/validation", k.planner, nil), 400)
	want(t, "missing plan", call(t, "GET", base+"/plans/99", k.planner, nil), 404)

	r = want(t, "draft of 1", call(t, "POST", base+"/plans/1/drafts", k.planner, nil), 201)
	draft, _ := strconv.Atoi(r.str("id"))
	if draft != 3 || r.str("parent") != "1" {
		t.Fatalf("draft: %s", r.body)
	}
	want(t, "plan 1 is not a draft", upload(t, base+"/plans/1/grids", k.planner, featureCollection(t, grids)), 409)

	// A FeatureCollection failing validation: a grid dropped (its community
	// left bare) and another's households wrong. Every finding is answered.
	bad := append([]gridplan.Grid(nil), grids[1:]...)
	bad[0].Households += 11
	r = want(t, "bad upload", upload(t, fmt.Sprintf("%s/plans/%d/grids", base, draft), k.planner, featureCollection(t, bad)), 422)
	fg := findingGrids(r)
	if !strings.Contains(fg[string(bad[0].Code)], "households") || !strings.Contains(fg[""], "no_grids") {
		t.Fatalf("bad upload findings %v: %s", fg, r.body)
	}
	// An unreadable one: every feature's problem is listed.
	junk := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null},{"type":"Point"}]}`)
	r = want(t, "unreadable upload", upload(t, fmt.Sprintf("%s/plans/%d/grids", base, draft), k.planner, junk), 422)
	if list, _ := r.m["errors"].([]any); len(list) < 2 {
		t.Fatalf("unreadable upload lists %d problems: %s", len(list), r.body)
	}
	r = want(t, "draft after refused uploads", call(t, "GET", fmt.Sprintf("%s/plans/%d", base, draft), k.planner, nil), 200)
	if gl, _ := r.m["grid_list"].([]any); len(gl) != len(grids) {
		t.Fatalf("refused uploads changed the draft: %s", r.body)
	}

	// A good upload: community 0's grid split in two.
	next := splitEast(t, b, grids, 0)
	r = want(t, "good upload", upload(t, fmt.Sprintf("%s/plans/%d/grids", base, draft), k.planner, featureCollection(t, next)), 200)
	if list, _ := r.m["errors"].([]any); len(list) != 0 {
		t.Fatalf("good upload: %s", r.body)
	}

	// Diff 1 → 2: one grid added, one changed; the east half's households move.
	east := next[len(next)-1]
	var eastBuilding orb.Point
	for _, bl := range b.Buildings {
		if planar.MultiPolygonContains(east.Geom, bl.Loc) {
			eastBuilding = bl.Loc
		}
	}
	// Two open cases: one in the east half (it changes grid), one in the west.
	var westBuilding orb.Point
	for _, bl := range b.Buildings {
		if planar.MultiPolygonContains(next[0].Geom, bl.Loc) {
			westBuilding = bl.Loc
		}
	}
	var caseIDs [2]float64
	for i, p := range []orb.Point{eastBuilding, westBuilding} {
		p := p
		r := want(t, "incident", call(t, "POST", base+"/incidents", k.intakeA,
			incidentBody(cases.Hotline, fmt.Sprintf("plan-%d", i), "oth_other", &p, "", time.Now().Add(-time.Minute))), 201)
		caseIDs[i] = r.num("case_id")
	}
	// caseGrid is a case's grid and its last event's action.
	caseGrid := func(id float64) (string, string) {
		r := want(t, "case", call(t, "GET", fmt.Sprintf("%s/cases/%.0f", base, id), k.dispatcher, nil), 200)
		evs, _ := r.m["events"].([]any)
		last, _ := evs[len(evs)-1].(map[string]any)
		action, _ := last["action"].(string)
		return r.str("grid_code"), action
	}
	r = want(t, "diff", call(t, "GET", fmt.Sprintf("%s/plans/1/diff/%d", base, draft), k.planner, nil), 200)
	imp, _ := r.m["impact"].(map[string]any)
	added, _ := r.m["added"].([]any)
	changed, _ := r.m["changed"].([]any)
	if len(added) != 1 || len(changed) != 1 || imp == nil || int(imp["households_moved"].(float64)) != east.Households || east.Households == 0 {
		t.Fatalf("diff: want 1 added, 1 changed, %d households moved: %s", east.Households, r.body)
	}
	if n, _ := imp["open_cases_moved"].(float64); n != 1 {
		t.Fatalf("diff: want 1 open case moved: %s", r.body)
	}

	// Publish: the locator swaps to the draft at once.
	if got := gridAt(t, base, eastBuilding); got != string(grids[0].Code) {
		t.Fatalf("before publish the east building is in %q, want %s", got, grids[0].Code)
	}
	r = want(t, "publish", call(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, draft), k.planner, nil), 200)
	if got := gridAt(t, base, eastBuilding); got != string(east.Code) {
		t.Fatalf("after publish the east building is in %q, want %s", got, east.Code)
	}
	// The open case in the east half follows it, with a reroute event; the
	// west one stays.
	if n := r.num("cases_rerouted"); n != 1 {
		t.Fatalf("publish re-routed %v cases, want 1: %s", n, r.body)
	}
	if g, action := caseGrid(caseIDs[0]); g != string(east.Code) || action != "reroute" {
		t.Fatalf("east case after publish: grid %s, last event %s; want %s, reroute", g, action, east.Code)
	}
	if g, action := caseGrid(caseIDs[1]); g != string(grids[0].Code) || action == "reroute" {
		t.Fatalf("west case after publish: grid %s, last event %s; want %s and no reroute", g, action, grids[0].Code)
	}
	want(t, "publish again (retry)", call(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, draft), k.planner, nil), 200)
	want(t, "published plan is not a draft", upload(t, fmt.Sprintf("%s/plans/%d/grids", base, draft), k.planner, featureCollection(t, grids)), 409)

	// Rollback: plan 1 published again.
	want(t, "rollback", call(t, "POST", base+"/plans/1/publish", k.planner, nil), 200)
	if got := gridAt(t, base, eastBuilding); got != string(grids[0].Code) {
		t.Fatalf("after rollback the east building is in %q, want %s", got, grids[0].Code)
	}
	if g, _ := caseGrid(caseIDs[0]); g != string(grids[0].Code) {
		t.Fatalf("east case after rollback: grid %s, want %s", g, grids[0].Code)
	}

	// A plan failing validation cannot be published: 409 with the findings,
	// and plan 1 stays.
	r = want(t, "publish spoiled", call(t, "POST", base+"/plans/2/publish", k.planner, nil), 409)
	if fg := findingGrids(r); !strings.Contains(fg[string(spoiled[2].Code)], "households") {
		t.Fatalf("spoiled publish findings %v: %s", fg, r.body)
	}
	r = want(t, "validation of plan 2", call(t, "GET", base+"/plans/2/validation", k.planner, nil), 200)
	if fg := findingGrids(r); !strings.Contains(fg[string(spoiled[2].Code)], "households") {
		t.Fatalf("plan 2 validation %v: %s", fg, r.body)
	}
	if got := gridAt(t, base, eastBuilding); got != string(grids[0].Code) {
		t.Fatalf("after a refused publish the east building is in %q, want %s", got, grids[0].Code)
	}
}
