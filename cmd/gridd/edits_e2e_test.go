package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/sfgeom"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// halfGrids cuts each community of b into a west (001) and an east (002)
// half at the middle of its bounding box, households from the buildings
// by orb's planar predicate.
func halfGrids(t *testing.T, b *bundle.Bundle) []gridplan.Grid {
	t.Helper()
	var out []gridplan.Grid
	for _, c := range b.Communities {
		bd := c.Geom.Bound()
		mid := (bd.Min[0] + bd.Max[0]) / 2
		for k, box := range []orb.Bound{{Min: bd.Min, Max: orb.Point{mid, bd.Max[1]}}, {Min: orb.Point{mid, bd.Min[1]}, Max: bd.Max}} {
			part, err := sfgeom.Intersection(sfgeom.FromOrb(c.Geom), sfgeom.FromOrb(orb.MultiPolygon{box.ToPolygon()}))
			if err != nil {
				t.Fatal(err)
			}
			code, err := bundle.NewGridCode(c.Code, k+1)
			if err != nil {
				t.Fatal(err)
			}
			hh := 0
			for _, bl := range b.Buildings {
				if planar.MultiPolygonContains(part, bl.Loc) {
					hh += bl.Households
				}
			}
			out = append(out, gridplan.Grid{Code: code, Community: c.Code, Street: c.Street, Kind: c.Kind, Households: hh, Target: 300, Geom: part})
		}
	}
	return out
}

// editStore fills st with storetest's district and plan 1 (two grids a
// community, published).
func editStore(t *testing.T, st store.Store) (*bundle.Bundle, []gridplan.Grid) {
	t.Helper()
	ctx := context.Background()
	b := storetest.SmallBundle(7)
	if err := st.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	grids := halfGrids(t, b)
	id, err := st.CreatePlan(ctx, &gridplan.Plan{Name: "halves", Params: gridplan.DefaultParams(), Grids: grids})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	return b, grids
}

// TestPlanEditsEmbedded runs every edit through the server on the
// embedded store.
func TestPlanEditsEmbedded(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	editLoop(t, base, k, b, grids)
}

// TestPlanEditsPostGIS runs every edit through the server on PostGIS.
func TestPlanEditsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	editLoop(t, base, k, b, grids)
	checkDiffInPostGIS(t, base, k.planner, dsn, 1, latestPlan(t, base, k.planner))
}

// latestPlan is the id of the newest plan.
func latestPlan(t *testing.T, base, key string) int {
	t.Helper()
	r := want(t, "GET /plans", call(t, "GET", base+"/plans", key, nil), 200)
	var ps struct {
		Plans []struct {
			ID gridplan.PlanID `json:"id"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(r.body, &ps); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps.Plans {
		n = max(n, int(p.ID))
	}
	return n
}

type gridRow struct {
	Code       string `json:"code"`
	Households int    `json:"households"`
	Locked     bool   `json:"locked"`
}

func planGrids(t *testing.T, base, key string, id int) map[string]gridRow {
	t.Helper()
	r := want(t, "GET plan", call(t, "GET", fmt.Sprintf("%s/plans/%d", base, id), key, nil), 200)
	var p struct {
		GridList []gridRow `json:"grid_list"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	out := map[string]gridRow{}
	for _, g := range p.GridList {
		out[g.Code] = g
	}
	return out
}

func changedCodes(r reply) []string {
	var out []string
	list, _ := r.m["changed"].([]any)
	for _, x := range list {
		f, _ := x.(map[string]any)
		props, _ := f["properties"].(map[string]any)
		code, _ := props["code"].(string)
		out = append(out, code)
	}
	return out
}

func removedCodes(r reply) []string {
	var out []string
	list, _ := r.m["removed"].([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func polygonBody(op, grid string, p orb.Polygon) map[string]any {
	return map[string]any{"op": op, "grid": grid, "polygon": geojson.NewGeometry(p)}
}

// editLoop: roles, a published plan refused, every op applied on a draft
// (households checked against the buildings, untouched grids kept),
// every kind of refusal changing nothing, and the edited draft
// published, /locate answering the moved building's new grid.
func editLoop(t *testing.T, base string, k caseKeys, b *bundle.Bundle, grids []gridplan.Grid) {
	edit := func(id int, key string, body any) reply {
		return call(t, "POST", fmt.Sprintf("%s/plans/%d/edits", base, id), key, body)
	}
	code := func(i int) string { return string(grids[i].Code) }
	lock := map[string]any{"op": "lock", "grids": []string{code(2)}}
	want(t, "public edit", edit(1, "", lock), 401)
	want(t, "dispatcher edit", edit(1, k.dispatcher, lock), 403)
	want(t, "edit of the published plan", edit(1, k.planner, lock), 409)
	want(t, "edit of a missing plan", edit(99, k.planner, lock), 404)
	r := want(t, "draft of 1", call(t, "POST", base+"/plans/1/drafts", k.planner, nil), 201)
	var d int
	fmt.Sscan(r.str("id"), &d)

	before := planGrids(t, base, k.planner, d)
	refusals := []struct {
		what   string
		body   any
		status int
		field  string
	}{
		{"unknown field", map[string]any{"op": "merge", "colour": 1}, 422, "body"},
		{"unknown op", map[string]any{"op": "explode"}, 422, "/op"},
		{"merge across communities", map[string]any{"op": "merge", "grids": []string{code(0), code(2)}}, 422, "/grids"},
		{"merge unknown grid", map[string]any{"op": "merge", "grids": []string{code(0), "320111999999999"}}, 422, "/grids/1"},
		{"split n=1", map[string]any{"op": "split", "grid": code(1), "n": 1}, 422, "/n"},
		{"redraw point", map[string]any{"op": "redraw", "grid": code(0), "polygon": map[string]any{"type": "Point", "coordinates": []float64{1, 2}}}, 422, "/polygon"},
		{"move unknown building", map[string]any{"op": "move", "buildings": []string{"nope"}, "to": code(0)}, 422, "/buildings/0"},
		{"move a unit of another community", map[string]any{"op": "move", "units": []string{"8b2a100d2d1bfff"}, "to": code(0)}, 422, "/units/0"},
		{"move a bad unit id", map[string]any{"op": "move", "units": []string{"zz"}, "to": code(0)}, 422, "/units/0"},
		{"rebalance unknown", map[string]any{"op": "rebalance", "communities": []string{"320111999999"}}, 422, "/communities/0"},
	}
	// A redraw that cuts a hole into the east grid: refused with findings.
	bd := b.Communities[0].Geom.Bound()
	cx, cy := (bd.Min[0]+bd.Max[0])/2, (bd.Min[1]+bd.Max[1])/2
	dx := (bd.Max[0] - bd.Min[0]) / 10
	hole := orb.Bound{Min: orb.Point{cx + dx, cy - dx/2}, Max: orb.Point{cx + 2*dx, cy + dx/2}}.ToPolygon()
	refusals = append(refusals, struct {
		what   string
		body   any
		status int
		field  string
	}{"redraw leaving a disconnected grid", polygonBody("redraw", code(0), hole), 422, "body"})
	for _, tc := range refusals {
		r := want(t, tc.what, edit(d, k.planner, tc.body), tc.status)
		if !reflectField(r, tc.field) {
			t.Errorf("%s: problem does not name %s: %s", tc.what, tc.field, r.body)
		}
		if tc.field == "body" && tc.what != "unknown field" {
			if list, _ := r.m["errors"].([]any); len(list) == 0 {
				t.Errorf("%s: no findings listed: %s", tc.what, r.body)
			}
		}
	}
	if after := planGrids(t, base, k.planner, d); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused edits changed the draft:\n%v\n%v", before, after)
	}

	// lock, then every edit of the locked grid is 409; unlock.
	r = want(t, "lock", edit(d, k.planner, lock), 200)
	if !planGrids(t, base, k.planner, d)[code(2)].Locked {
		t.Fatal("the lock is not stored")
	}
	want(t, "merge a locked grid", edit(d, k.planner, map[string]any{"op": "merge", "grids": []string{code(3), code(2)}}), 409)
	want(t, "split a locked grid", edit(d, k.planner, map[string]any{"op": "split", "grid": code(2), "n": 2}), 409)
	want(t, "redraw into a locked grid", edit(d, k.planner, polygonBody("redraw", code(3), grids[2].Geom[0])), 409)
	u3 := gridUnits(t, base, k.planner, d, code(3))
	r = want(t, "move into a locked grid", edit(d, k.planner, map[string]any{"op": "move", "units": []string{u3[0].id}, "to": code(2)}), 409)
	if !reflectField(r, "/to") {
		t.Errorf("move into a locked grid: problem does not name /to: %s", r.body)
	}
	want(t, "unlock", edit(d, k.planner, map[string]any{"op": "unlock", "grids": []string{code(2)}}), 200)
	if planGrids(t, base, k.planner, d)[code(2)].Locked {
		t.Fatal("the unlock is not stored")
	}

	// merge community 0's halves; the bigger keeps its code.
	keep, drop := code(0), code(1)
	if grids[1].Households > grids[0].Households {
		keep, drop = drop, keep
	}
	r = want(t, "merge", edit(d, k.planner, map[string]any{"op": "merge", "grids": []string{code(0), code(1)}}), 200)
	if c, rm := changedCodes(r), removedCodes(r); !reflect.DeepEqual(c, []string{keep}) || !reflect.DeepEqual(rm, []string{drop}) {
		t.Fatalf("merge: changed %v removed %v: %s", c, rm, r.body)
	}
	if v, _ := r.m["validation"].(map[string]any); v == nil || len(v["errors"].([]any)) != 0 {
		t.Fatalf("merge validation: %s", r.body)
	}
	// split it again in two: a new grid takes the next free number.
	r = want(t, "split", edit(d, k.planner, map[string]any{"op": "split", "grid": keep, "n": 2}), 200)
	if c := changedCodes(r); len(c) != 2 {
		t.Fatalf("split: changed %v", c)
	}
	// redraw community 1's west grid a quarter eastwards.
	bd1 := b.Communities[1].Geom.Bound()
	mid, q := (bd1.Min[0]+bd1.Max[0])/2, (bd1.Max[0]-bd1.Min[0])/4
	grow := orb.Bound{Min: orb.Point{mid - q, bd1.Min[1] - 1}, Max: orb.Point{mid + q, bd1.Max[1] + 1}}.ToPolygon()
	want(t, "redraw", edit(d, k.planner, polygonBody("redraw", code(2), grow)), 200)
	// move community 2's east building nearest the cut to the west grid:
	// the units of a corridor from the cut to it.
	near := moveCorridor(t, base, k, d, b, grids[5], grids[4])
	// rebalance community 3 with its west grid locked.
	want(t, "lock 6", edit(d, k.planner, map[string]any{"op": "lock", "grids": []string{code(6)}}), 200)
	want(t, "rebalance", edit(d, k.planner, map[string]any{"op": "rebalance", "communities": []string{string(b.Communities[3].Code)}}), 200)
	after := planGrids(t, base, k.planner, d)
	if g := after[code(6)]; !g.Locked || g.Households != grids[6].Households {
		t.Fatalf("rebalance changed the locked grid: %+v", g)
	}

	// The draft is valid; every grid's households are the buildings'.
	r = want(t, "validation", call(t, "GET", fmt.Sprintf("%s/plans/%d/validation", base, d), k.planner, nil), 200)
	if list, _ := r.m["errors"].([]any); len(list) != 0 {
		t.Fatalf("the edited draft fails validation: %s", r.body)
	}
	total := 0
	for _, g := range after {
		total += g.Households
	}
	if total != b.Households() {
		t.Fatalf("households %d after the edits, the bundle has %d", total, b.Households())
	}
	// Published, /locate puts the moved building in its new grid.
	want(t, "publish", call(t, "POST", fmt.Sprintf("%s/plans/%d/publish", base, d), k.planner, nil), 200)
	if got := gridAt(t, base, near.Loc); got != code(4) {
		t.Fatalf("/locate puts the moved building in %s, want %s", got, code(4))
	}
	want(t, "edit after publish", edit(d, k.planner, lock), 409)
}

// reflectField reports whether a problem names field (its "field" member
// or one of its listed problems).
func reflectField(r reply, field string) bool {
	if f, _ := r.m["field"].(string); f == field {
		return true
	}
	return false
}
