package storetest

import (
	"reflect"
	"testing"

	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/store"
)

// smallUnits are four units a grid of p: the cell at res 11 of the
// grid's bound centre and three of its neighbours, 1..4 households.
func smallUnits(p *gridplan.Plan) []gridplan.Unit {
	var out []gridplan.Unit
	for _, g := range p.Grids {
		c := cells.Of(g.Geom.Bound().Center(), 11)
		disk := h3.GridDisk(c, 1)
		ids := []h3.Cell{c}
		for _, d := range disk {
			if d != c && len(ids) < 4 {
				ids = append(ids, d)
			}
		}
		for i, id := range ids {
			out = append(out, gridplan.Unit{ID: gridplan.UnitID(id), Grid: g.Code, Households: i + 1})
		}
	}
	return out
}

func unitsOfGrids(us []gridplan.Unit, grids ...bundle.GridCode) []gridplan.Unit {
	in := map[bundle.GridCode]bool{}
	for _, g := range grids {
		in[g] = true
	}
	var out []gridplan.Unit
	for _, u := range us {
		if in[u.Grid] {
			out = append(out, u)
		}
	}
	return out
}

func sameUnits(t *testing.T, what string, got, want []gridplan.Unit) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: units\n got %v\nwant %v", what, got, want)
	}
}

// testPlanUnits: CreatePlan writes a plan's units with its grids (a bad
// unit refuses the plan, nothing written); PlanUnits reads them by grid
// then id, of some grids; CreateDraft copies grids, locks and units;
// EditGridsUnits replaces the units of the grids it names with the
// grids' edit in one transaction (a refused edit writes neither);
// ReplaceGrids drops the units with the old grids.
func testPlanUnits(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	_, err := s.PlanUnits(ctx, 999)
	wantCode(t, "PlanUnits(999)", err, errs.NotFound)
	_, err = s.CreateDraft(ctx, 999, "x")
	wantCode(t, "CreateDraft(999)", err, errs.NotFound)

	pa := NewPlan(b, "units", 0)
	pa.Grids[1].Locked = true
	pa.Units = smallUnits(pa)
	// Units are sorted by grid then id, as PlanUnits answers.
	want := append([]gridplan.Unit(nil), pa.Units...)
	sortUnitsT(want)

	before, _ := s.Plans(ctx)
	bad := *pa
	bad.Units = append(append([]gridplan.Unit(nil), pa.Units...), gridplan.Unit{ID: pa.Units[0].ID, Grid: "320111001009001", Households: 1})
	_, err = s.CreatePlan(ctx, &bad)
	wantCode(t, "CreatePlan(unit of an unknown grid)", err, errs.Invalid)
	bad.Units = append(append([]gridplan.Unit(nil), pa.Units...), pa.Units[0])
	_, err = s.CreatePlan(ctx, &bad)
	wantCode(t, "CreatePlan(unit twice)", err, errs.Invalid)
	if after, _ := s.Plans(ctx); len(after) != len(before) {
		t.Fatalf("a refused plan was stored: %d plans, were %d", len(after), len(before))
	}

	id, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PlanUnits(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameUnits(t, "PlanUnits", got, want)
	g0, g1, g2 := pa.Grids[0].Code, pa.Grids[1].Code, pa.Grids[2].Code
	got, err = s.PlanUnits(ctx, id, g2, g0)
	if err != nil {
		t.Fatal(err)
	}
	sameUnits(t, "PlanUnits(two grids)", got, unitsOfGrids(want, g0, g2))
	got, err = s.PlanUnits(ctx, id, "320111001009001")
	if err != nil || len(got) != 0 {
		t.Fatalf("PlanUnits(unknown grid) = %v, %v; want none", got, err)
	}

	d, err := s.CreateDraft(ctx, id, " draft of units ")
	if err != nil {
		t.Fatal(err)
	}
	dp, err := s.Plan(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if dp.Status != gridplan.Draft || dp.Parent != id || dp.Name != "draft of units" || dp.Params.Seed != pa.Params.Seed {
		t.Fatalf("draft: status %s parent %d name %q params %+v", dp.Status, dp.Parent, dp.Name, dp.Params)
	}
	sameGrids(t, "draft grids", dp.Grids, pa.Grids)
	if !dp.Grids[1].Locked || dp.Grids[0].Locked {
		t.Fatal("the draft's locks differ from its parent's")
	}
	got, _ = s.PlanUnits(ctx, d)
	sameUnits(t, "draft units", got, want)

	// A move of one unit from g0 to g2's neighbour g2 (figures only).
	moved := unitsOfGrids(want, g0)[0]
	put0, put2 := pa.Grids[0], pa.Grids[2]
	put0.Households -= moved.Households
	put2.Households += moved.Households
	next := append(unitsOfGrids(want, g0)[1:], unitsOfGrids(want, g2)...)
	mv := moved
	mv.Grid = g2
	next = append(next, mv)
	ue := gridplan.UnitsEdit{Grids: []bundle.GridCode{g0, g2}, Units: next}
	stale := []gridplan.Grid{pa.Grids[0], pa.Grids[2]}
	stale[0].Households++
	wantCode(t, "EditGridsUnits(stale base)", s.EditGridsUnits(ctx, d, []gridplan.Grid{put0, put2}, nil, stale, ue), errs.Conflict)
	wantCode(t, "EditGridsUnits(unit of a grid not written)", s.EditGridsUnits(ctx, d, []gridplan.Grid{put0, put2}, nil, pa.Grids[0:3:3],
		gridplan.UnitsEdit{Grids: []bundle.GridCode{g0}, Units: next}), errs.Invalid)
	got, _ = s.PlanUnits(ctx, d)
	sameUnits(t, "units after refused edits", got, want)
	if err := s.EditGridsUnits(ctx, d, []gridplan.Grid{put0, put2}, nil, []gridplan.Grid{pa.Grids[0], pa.Grids[2]}, ue); err != nil {
		t.Fatal(err)
	}
	wantAfter := append(append(unitsOfGrids(want, g0)[1:], unitsOfGrids(want, g1)...), next[len(next)-len(unitsOfGrids(want, g2))-1:]...)
	wantAfter = append(wantAfter, unitsOfGrids(want, gridsAfter(pa, 3)...)...)
	sortUnitsT(wantAfter)
	got, _ = s.PlanUnits(ctx, d)
	sameUnits(t, "units after EditGridsUnits", got, wantAfter)
	dp, _ = s.Plan(ctx, d)
	if dp.Grids[0].Households != put0.Households || dp.Grids[2].Households != put2.Households {
		t.Fatalf("grids after EditGridsUnits: %d, %d households; want %d, %d", dp.Grids[0].Households, dp.Grids[2].Households, put0.Households, put2.Households)
	}
	got, _ = s.PlanUnits(ctx, id)
	sameUnits(t, "the parent's units after the draft's edit", got, want)

	if err := s.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "EditGridsUnits(published)", s.EditGridsUnits(ctx, id, []gridplan.Grid{put0}, nil, pa.Grids[:1], gridplan.UnitsEdit{Grids: []bundle.GridCode{g0}}), errs.Conflict)

	if err := s.ReplaceGrids(ctx, d, CommunityGrids(b)); err != nil {
		t.Fatal(err)
	}
	if got, err = s.PlanUnits(ctx, d); err != nil || len(got) != 0 {
		t.Fatalf("units after ReplaceGrids: %d, %v; want none", len(got), err)
	}
}

func gridsAfter(p *gridplan.Plan, i int) []bundle.GridCode {
	var out []bundle.GridCode
	for _, g := range p.Grids[i:] {
		out = append(out, g.Code)
	}
	return out
}

func sortUnitsT(us []gridplan.Unit) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && (us[j].Grid < us[j-1].Grid || us[j].Grid == us[j-1].Grid && us[j].ID < us[j-1].ID); j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}
