package gridplan_test

import (
	"context"
	"encoding/json"
	stdErrors "errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/sfgeom"
	"github.com/gridd/gridd/store/storetest"
)

// smallPlan is storetest's district with each community cut into a west
// and an east half (grids 001 and 002), households from the buildings.
func smallPlan(t testing.TB) (*bundle.Bundle, *gridplan.Plan) {
	b := storetest.SmallBundle(7)
	return b, &gridplan.Plan{ID: 1, Name: "small", Status: gridplan.Draft, Params: gridplan.DefaultParams(), Grids: halves(t, b)}
}

func gridOf(p []gridplan.Grid, c bundle.GridCode) *gridplan.Grid {
	for i := range p {
		if p[i].Code == c {
			return &p[i]
		}
	}
	return nil
}

// planarCount counts b's households in mp with orb's planar predicate, an
// implementation independent of geo's.
func planarCount(b *bundle.Bundle, mp orb.MultiPolygon) int {
	n := 0
	for _, bl := range b.Buildings {
		if planar.MultiPolygonContains(mp, bl.Loc) {
			n += bl.Households
		}
	}
	return n
}

func polygonJSON(t testing.TB, p orb.Polygon) json.RawMessage {
	raw, err := json.Marshal(geojson.NewGeometry(p))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// checkResult checks an applied edit: the households of every grid equal
// the buildings', the total is kept, the validation has no errors and
// the grids the edit did not list as changed or removed are as before.
func checkResult(t *testing.T, b *bundle.Bundle, before *gridplan.Plan, r *gridplan.EditResult) {
	t.Helper()
	total := 0
	for _, g := range r.Grids {
		if got := planarCount(b, g.Geom); got != g.Households {
			t.Errorf("grid %s: %d households, the buildings in it hold %d", g.Code, g.Households, got)
		}
		total += g.Households
	}
	if total != b.Households() {
		t.Errorf("households %d, the bundle has %d", total, b.Households())
	}
	if errs := r.Findings.Errors(); len(errs) > 0 {
		t.Errorf("validation errors: %+v", errs)
	}
	if fs := gridplan.Validate(&gridplan.Plan{Params: before.Params, Grids: r.Grids}, b).Errors(); len(fs) > 0 {
		t.Errorf("full validation of the result: %+v", fs)
	}
	for _, g := range r.Base {
		if o := gridOf(before.Grids, g.Code); o == nil || !reflect.DeepEqual(*o, g) {
			t.Errorf("base grid %s is not the plan's", g.Code)
		}
	}
	if want := len(r.Removed); len(r.Base) < want {
		t.Errorf("base has %d grids, fewer than the %d removed", len(r.Base), want)
	}
	touched := map[bundle.GridCode]bool{}
	for _, g := range r.Changed {
		touched[g.Code] = true
	}
	for _, c := range r.Removed {
		touched[c] = true
		if gridOf(r.Grids, c) != nil {
			t.Errorf("removed grid %s is still in the plan", c)
		}
	}
	for _, g := range before.Grids {
		if touched[g.Code] {
			continue
		}
		if a := gridOf(r.Grids, g.Code); a == nil || !reflect.DeepEqual(*a, g) {
			t.Errorf("grid %s changed but is not listed as changed", g.Code)
		}
	}
}

func TestEditMergeLockSplitRedrawMove(t *testing.T) {
	ctx := context.Background()
	b, p := smallPlan(t)
	c0 := b.Communities[0]
	w, e := p.Grids[0].Code, p.Grids[1].Code // west and east halves of c0
	other := p.Grids[2].Code                 // a grid of another community
	bd := c0.Geom.Bound()
	mid := (bd.Min[0] + bd.Max[0]) / 2
	quarter := (bd.Max[0] - bd.Min[0]) / 4
	// West grid grows by a quarter of the box eastwards.
	grow := orb.Bound{Min: orb.Point{mid - quarter, bd.Min[1] - 1}, Max: orb.Point{mid + quarter, bd.Max[1] + 1}}.ToPolygon()
	// A building of the east grid in a unit on the cut (the cell of the
	// building nearest the cut, moved next to it).
	near := buildingOnCut(t, b, p, 1, 0)
	tests := []struct {
		name  string
		edit  gridplan.Edit
		check func(t *testing.T, r *gridplan.EditResult)
	}{
		{"merge", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w, e}}, func(t *testing.T, r *gridplan.EditResult) {
			keep, drop := w, e
			if p.Grids[1].Households > p.Grids[0].Households {
				keep, drop = e, w
			}
			if len(r.Changed) != 1 || r.Changed[0].Code != keep || !reflect.DeepEqual(r.Removed, []bundle.GridCode{drop}) {
				t.Errorf("changed %v removed %v, want %s kept and %s removed", codesOf(r.Changed), r.Removed, keep, drop)
			}
			if got, want := r.Changed[0].Households, p.Grids[0].Households+p.Grids[1].Households; got != want {
				t.Errorf("merged households %d, want %d", got, want)
			}
		}},
		{"lock", gridplan.Edit{Op: "lock", Grids: []bundle.GridCode{w}}, func(t *testing.T, r *gridplan.EditResult) {
			if !gridOf(r.Grids, w).Locked || gridOf(r.Grids, e).Locked || len(r.Changed) != 1 {
				t.Errorf("lock: changed %v", codesOf(r.Changed))
			}
		}},
		{"split", gridplan.Edit{Op: "split", Grid: e, N: 2}, func(t *testing.T, r *gridplan.EditResult) {
			if len(r.Grids) != len(p.Grids)+1 || len(r.Removed) != 0 {
				t.Fatalf("%d grids (removed %v), want %d", len(r.Grids), r.Removed, len(p.Grids)+1)
			}
			third := gridOf(r.Grids, bundle.GridCode(string(c0.Code)+"003"))
			if third == nil || gridOf(r.Grids, e) == nil {
				t.Fatalf("want %s kept and %s003 new, changed %v", e, c0.Code, codesOf(r.Changed))
			}
			if third.Households+gridOf(r.Grids, e).Households != p.Grids[1].Households {
				t.Errorf("the pieces hold %d+%d, the grid held %d", third.Households, gridOf(r.Grids, e).Households, p.Grids[1].Households)
			}
			if third.Households > gridOf(r.Grids, e).Households {
				t.Errorf("the new grid holds more than the one keeping the code")
			}
		}},
		{"redraw", gridplan.Edit{Op: "redraw", Grid: w, Polygon: polygonJSON(t, grow)}, func(t *testing.T, r *gridplan.EditResult) {
			gw, ge := gridOf(r.Grids, w), gridOf(r.Grids, e)
			if gw == nil || ge == nil {
				t.Fatalf("grids gone: removed %v", r.Removed)
			}
			if got := gw.Geom.Bound().Max[0]; got < mid+quarter*0.99 {
				t.Errorf("west grid reaches %v, want %v", got, mid+quarter)
			}
			if gw.Households < p.Grids[0].Households || ge.Households > p.Grids[1].Households {
				t.Errorf("households %d/%d, were %d/%d", gw.Households, ge.Households, p.Grids[0].Households, p.Grids[1].Households)
			}
		}},
		{"redraw takes all", gridplan.Edit{Op: "redraw", Grid: w, Polygon: polygonJSON(t, orb.Bound{Min: orb.Point{bd.Min[0] - 1, bd.Min[1] - 1}, Max: orb.Point{bd.Max[0] + 1, bd.Max[1] + 1}}.ToPolygon())},
			func(t *testing.T, r *gridplan.EditResult) {
				if !reflect.DeepEqual(r.Removed, []bundle.GridCode{e}) {
					t.Errorf("removed %v, want [%s]", r.Removed, e)
				}
			}},
		{"move", gridplan.Edit{Op: "move", Buildings: []bundle.BuildingID{near.ID}, To: w}, func(t *testing.T, r *gridplan.EditResult) {
			if !planar.MultiPolygonContains(gridOf(r.Grids, w).Geom, near.Loc) {
				t.Errorf("building %s is not in %s after the move", near.ID, w)
			}
			if got, want := gridOf(r.Grids, w).Households, p.Grids[0].Households+near.Households; got != want {
				t.Errorf("west households %d, want %d", got, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := clonePlan(p)
			r, err := gridplan.ApplyEdit(ctx, p, b, tc.edit, partition.Grids)
			if err != nil {
				var re *gridplan.RefusedError
				if errorsAs(err, &re) {
					t.Fatalf("%v: %+v", err, re.Findings)
				}
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, p) {
				t.Fatal("ApplyEdit changed its input plan")
			}
			checkResult(t, b, p, r)
			if gridOf(r.Grids, other) == nil || !reflect.DeepEqual(*gridOf(r.Grids, other), p.Grids[2]) {
				t.Errorf("grid %s of another community changed", other)
			}
			tc.check(t, r)
		})
	}
}

func codesOf(gs []gridplan.Grid) []bundle.GridCode {
	out := make([]bundle.GridCode, len(gs))
	for i, g := range gs {
		out[i] = g.Code
	}
	return out
}

func clonePlan(p *gridplan.Plan) *gridplan.Plan {
	c := *p
	c.Grids = cloneGrids(p.Grids)
	return &c
}

func TestEditRefusals(t *testing.T) {
	ctx := context.Background()
	b, p := smallPlan(t)
	p.Grids[3].Locked = true // east half of the second community
	c0 := b.Communities[0]
	w, e := p.Grids[0].Code, p.Grids[1].Code
	w1, e1 := p.Grids[2].Code, p.Grids[3].Code
	bd := c0.Geom.Bound()
	cx, cy := (bd.Min[0]+bd.Max[0])/2, (bd.Min[1]+bd.Max[1])/2
	dx := (bd.Max[0] - bd.Min[0]) / 10
	hole := orb.Bound{Min: orb.Point{cx + dx, cy - dx/2}, Max: orb.Point{cx + 2*dx, cy + dx/2}}.ToPolygon() // inside the east half
	far := orb.Bound{Min: orb.Point{100, 10}, Max: orb.Point{100.1, 10.1}}.ToPolygon()
	bow := orb.Polygon{{{cx, cy}, {cx + dx, cy + dx}, {cx + dx, cy}, {cx, cy + dx}, {cx, cy}}}
	tests := []struct {
		name  string
		edit  gridplan.Edit
		code  errs.Code
		field string
	}{
		{"no op", gridplan.Edit{}, errs.Invalid, "/op"},
		{"unknown op", gridplan.Edit{Op: "explode"}, errs.Invalid, "/op"},
		{"merge one grid", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w}}, errs.Invalid, "/grids"},
		{"merge unknown", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w, "320111999999999"}}, errs.Invalid, "/grids/1"},
		{"merge same", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w, w}}, errs.Invalid, "/grids"},
		{"merge communities", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w, w1}}, errs.Invalid, "/grids"},
		{"merge locked", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{w1, e1}}, errs.Conflict, "/grids/1"},
		{"lock none", gridplan.Edit{Op: "lock"}, errs.Invalid, "/grids"},
		{"unlock unknown", gridplan.Edit{Op: "unlock", Grids: []bundle.GridCode{"x"}}, errs.Invalid, "/grids/0"},
		{"split n=1", gridplan.Edit{Op: "split", Grid: e, N: 1}, errs.Invalid, "/n"},
		{"split n=21", gridplan.Edit{Op: "split", Grid: e, N: 21}, errs.Invalid, "/n"},
		{"split too fine", gridplan.Edit{Op: "split", Grid: e, N: 20}, errs.Invalid, "/n"},
		{"split locked", gridplan.Edit{Op: "split", Grid: e1, N: 2}, errs.Conflict, "/grid"},
		{"split unknown", gridplan.Edit{Op: "split", N: 2}, errs.Invalid, "/grid"},
		{"redraw no polygon", gridplan.Edit{Op: "redraw", Grid: w}, errs.Invalid, "/polygon"},
		{"redraw junk", gridplan.Edit{Op: "redraw", Grid: w, Polygon: json.RawMessage(`{"type":"Point","coordinates":[1,2]}`)}, errs.Invalid, "/polygon"},
		{"redraw bowtie", gridplan.Edit{Op: "redraw", Grid: w, Polygon: polygonJSON(t, bow)}, errs.Invalid, "/polygon"},
		{"redraw outside", gridplan.Edit{Op: "redraw", Grid: w, Polygon: polygonJSON(t, far)}, errs.Invalid, "/polygon"},
		{"redraw locked", gridplan.Edit{Op: "redraw", Grid: e1, Polygon: polygonJSON(t, hole)}, errs.Conflict, "/grid"},
		{"redraw takes a locked grid", gridplan.Edit{Op: "redraw", Grid: w1, Polygon: polygonJSON(t, p.Grids[3].Geom[0])}, errs.Conflict, "/polygon"},
		{"redraw disconnects", gridplan.Edit{Op: "redraw", Grid: w, Polygon: polygonJSON(t, hole)}, errs.Invalid, "body"},
		{"move unknown building", gridplan.Edit{Op: "move", Buildings: []bundle.BuildingID{"nope"}, To: w}, errs.Invalid, "/buildings/0"},
		{"move none", gridplan.Edit{Op: "move", To: w}, errs.Invalid, "/units"},
		{"move to locked", gridplan.Edit{Op: "move", Buildings: []bundle.BuildingID{b.Buildings[0].ID}, To: e1}, errs.Conflict, "/to"},
		{"rebalance none", gridplan.Edit{Op: "rebalance"}, errs.Invalid, "/communities"},
		{"rebalance unknown", gridplan.Edit{Op: "rebalance", Communities: []bundle.CommunityCode{"32011100"}}, errs.Invalid, "/communities/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := clonePlan(p)
			r, err := gridplan.ApplyEdit(ctx, p, b, tc.edit, partition.Grids)
			if err == nil {
				t.Fatalf("applied: changed %v removed %v", codesOf(r.Changed), r.Removed)
			}
			e, ok := errs.As(err)
			if !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("err %v (%+v), want %s naming %s", err, e, tc.code, tc.field)
			}
			if !reflect.DeepEqual(before, p) {
				t.Fatal("a refused edit changed the plan")
			}
			if tc.field == "body" {
				var re *gridplan.RefusedError
				if !errorsAs(err, &re) || len(re.Findings.Errors()) == 0 {
					t.Fatalf("a refused edit lists no findings: %v", err)
				}
			}
		})
	}
	_ = e
}

func TestEditRebalanceKeepsLocked(t *testing.T) {
	ctx := context.Background()
	b, p := smallPlan(t)
	p.Grids[0].Locked = true
	c0 := b.Communities[0].Code
	r, err := gridplan.ApplyEdit(ctx, p, b, gridplan.Edit{Op: "rebalance", Communities: []bundle.CommunityCode{c0}}, partition.Grids)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, b, p, r)
	if g := gridOf(r.Grids, p.Grids[0].Code); g == nil || !g.Locked || !reflect.DeepEqual(g.Geom, p.Grids[0].Geom) {
		t.Errorf("the locked grid changed: %+v", g)
	}
	for _, g := range r.Changed {
		if g.Community != c0 {
			t.Errorf("grid %s of another community changed", g.Code)
		}
	}
}

// FuzzPlanEdit: ApplyEdit on any JSON edit never panics, answers an
// Invalid or Conflict error or a clean result, and never changes its
// input.
func FuzzPlanEdit(f *testing.F) {
	b, p := smallPlan(f)
	p.Grids[3].Locked = true
	for _, s := range []string{
		`{"op":"merge","grids":["` + string(p.Grids[0].Code) + `","` + string(p.Grids[1].Code) + `"]}`,
		`{"op":"lock","grids":["` + string(p.Grids[0].Code) + `"]}`,
		`{"op":"split","grid":"` + string(p.Grids[1].Code) + `","n":2}`,
		`{"op":"redraw","grid":"` + string(p.Grids[0].Code) + `","polygon":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`,
		`{"op":"move","buildings":["` + string(b.Buildings[0].ID) + `"],"to":"` + string(p.Grids[0].Code) + `"}`,
		`{"op":"redraw","grid":"x","polygon":{"type":"Polygon","coordinates":[[[1e308,0],[1,0],[1,1],[1e308,0]]]}}`,
		`{"op":"rebalance","communities":["x"]}`,
		`{"op":"move","units":["` + unitsOnEdge(communityUnits(f, b, p, p.Grids[1].Community), &p.Grids[1], &p.Grids[0])[0].ID.String() + `"],"to":"` + string(p.Grids[0].Code) + `"}`,
		`{"op":"move","units":["8b2a100d2d1bfff","x"],"to":"` + string(p.Grids[0].Code) + `"}`,
	} {
		f.Add(s)
	}
	noPart := func(context.Context, *bundle.Bundle, gridplan.Params) ([]gridplan.Grid, error) {
		return nil, errs.E(errs.Invalid, "partition", "not in the fuzz test")
	}
	f.Fuzz(func(t *testing.T, s string) {
		var e gridplan.Edit
		if json.Unmarshal([]byte(s), &e) != nil {
			return
		}
		before := clonePlan(p)
		_, err := gridplan.ApplyEdit(context.Background(), p, b, e, noPart)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
				t.Fatalf("%s: %v (code %s)", s, err, c)
			}
		}
		if !reflect.DeepEqual(before, p) {
			t.Fatalf("%s: the input plan changed", s)
		}
	})
}

var _ = fmt.Sprint
var _ = sfgeom.Union

func errorsAs(err error, target any) bool { return stdErrors.As(err, target) }
