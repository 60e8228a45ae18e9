package gridplan_test

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/sfgeom"
)

// communityUnits derives the units of community c's grids of p.
func communityUnits(t testing.TB, b *bundle.Bundle, p *gridplan.Plan, c bundle.CommunityCode) []gridplan.Unit {
	t.Helper()
	cm, ok := b.Community(c)
	if !ok {
		t.Fatalf("no community %s", c)
	}
	var grids []gridplan.Grid
	for _, g := range p.Grids {
		if g.Community == c {
			grids = append(grids, g)
		}
	}
	us, err := gridplan.DeriveUnits(cm, grids, b.Buildings, p.Params)
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// unitsOnEdge are the units of grid from whose cell reaches into grid to
// (a vertex of the cell inside to): moving one keeps both grids whole.
func unitsOnEdge(us []gridplan.Unit, from, to *gridplan.Grid) []gridplan.Unit {
	var out []gridplan.Unit
	for _, u := range us {
		if u.Grid != from.Code {
			continue
		}
		for _, v := range h3.CellToBoundary(u.ID.Cell()) {
			if planar.MultiPolygonContains(to.Geom, orb.Point{v.Lng, v.Lat}) {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

// buildingOnCut moves the building of grid p.Grids[from] nearest grid
// p.Grids[to] to the centre of a unit of from on their shared edge, and
// returns it (households of both grids unchanged).
func buildingOnCut(t testing.TB, b *bundle.Bundle, p *gridplan.Plan, from, to int) bundle.Building {
	t.Helper()
	gf, gt := &p.Grids[from], &p.Grids[to]
	edge := unitsOnEdge(communityUnits(t, b, p, gf.Community), gf, gt)
	if len(edge) == 0 {
		t.Fatal("no unit on the edge")
	}
	u := edge[len(edge)/2]
	best := -1
	for i, bl := range b.Buildings {
		if planar.MultiPolygonContains(gf.Geom, bl.Loc) && (best < 0 || planar.Distance(bl.Loc, cells.Centre(u.ID.Cell())) < planar.Distance(b.Buildings[best].Loc, cells.Centre(u.ID.Cell()))) {
			best = i
		}
	}
	b.Buildings[best].Loc = cells.Centre(u.ID.Cell())
	if !planar.MultiPolygonContains(gf.Geom, b.Buildings[best].Loc) {
		t.Fatal("the unit's centre is not in its grid")
	}
	return b.Buildings[best]
}

// thirds is storetest's district with community 0 cut into three strips
// west to east (001, 002, 003) and the others into halves.
func thirds(t testing.TB) (*bundle.Bundle, *gridplan.Plan) {
	b, p := smallPlan(t)
	c := b.Communities[0]
	bd := c.Geom.Bound()
	w := (bd.Max[0] - bd.Min[0]) / 3
	var grids []gridplan.Grid
	for k := 0; k < 3; k++ {
		box := orb.Bound{Min: orb.Point{bd.Min[0] + float64(k)*w, bd.Min[1]}, Max: orb.Point{bd.Min[0] + float64(k+1)*w, bd.Max[1]}}
		if k == 2 {
			box.Max[0] = bd.Max[0]
		}
		part, err := sfgeom.Intersection(sfgeom.FromOrb(c.Geom), sfgeom.FromOrb(orb.MultiPolygon{box.ToPolygon()}))
		if err != nil {
			t.Fatal(err)
		}
		code, _ := bundle.NewGridCode(c.Code, k+1)
		grids = append(grids, gridplan.Grid{Code: code, Community: c.Code, Street: c.Street, Kind: c.Kind, Households: planarCount(b, part), Target: 300, Geom: part})
	}
	p.Grids = append(grids, p.Grids[2:]...)
	return b, p
}

// TestEditMoveUnits: move acts on units. Each case either applies (the
// moved units change grid, both grids' households equal the buildings
// in them, the rest of the plan is as it was) or is refused with the
// code and the field the rules name, the plan unchanged.
func TestEditMoveUnits(t *testing.T) {
	ctx := context.Background()
	b, p := thirds(t)
	g1, g2, g3 := &p.Grids[0], &p.Grids[1], &p.Grids[2]
	other := p.Grids[3] // a grid of another community
	us := communityUnits(t, b, p, g1.Community)
	p.Units = append(us, communityUnits(t, b, p, other.Community)...)
	edge := unitsOnEdge(us, g2, g1)  // units of 002 reaching into 001
	edge3 := unitsOnEdge(us, g3, g2) // units of 003 reaching into 002
	if len(edge) < 3 || len(edge3) == 0 {
		t.Fatalf("%d / %d units on the edges", len(edge), len(edge3))
	}
	// A unit of 002 in the middle of the strip: moving it cuts nothing
	// off 002 but lands apart from 001.
	var deep gridplan.Unit
	for _, u := range us {
		if u.Grid != g2.Code {
			continue
		}
		ct := cells.Centre(u.ID.Cell())
		if d := g2.Geom.Bound().Center(); deep.ID == 0 || planar.Distance(ct, d) < planar.Distance(cells.Centre(deep.ID.Cell()), d) {
			deep = u
		}
	}
	// A band of 002's units across the strip at mid latitude: moved into
	// 001 it cuts 002 in two.
	var band []gridplan.Unit
	mid := g2.Geom.Bound().Center()[1]
	for _, u := range us {
		if ct := cells.Centre(u.ID.Cell()); u.Grid == g2.Code && math.Abs(ct[1]-mid) < 60.0/110574 {
			band = append(band, u)
		}
	}
	var foreign gridplan.Unit
	for _, u := range p.Units {
		if u.Grid == other.Code {
			foreign = u
			break
		}
	}
	locked := clonePlan(p)
	locked.Units = p.Units
	locked.Grids[1].Locked = true
	lockedTo := clonePlan(p)
	lockedTo.Units = p.Units
	lockedTo.Grids[0].Locked = true
	ids := func(us ...gridplan.Unit) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.ID.String()
		}
		return out
	}
	tests := []struct {
		name  string
		plan  *gridplan.Plan
		edit  gridplan.Edit
		code  errs.Code // "" when the move applies
		field string
		// the grid a refused move's contiguous finding names
		parts bundle.GridCode
	}{
		{"adjacent", p, gridplan.Edit{Op: "move", Units: ids(edge[:3]...), To: g1.Code}, "", "", ""},
		{"adjacent one", p, gridplan.Edit{Op: "move", Units: ids(edge3[0]), To: g2.Code}, "", "", ""},
		{"grid not adjacent", p, gridplan.Edit{Op: "move", Units: ids(edge3[0]), To: g1.Code}, errs.Invalid, "/units/0", ""},
		{"other community", p, gridplan.Edit{Op: "move", Units: ids(edge[0], foreign), To: g1.Code}, errs.Invalid, "/units/1", ""},
		{"already there", p, gridplan.Edit{Op: "move", Units: ids(edge[0]), To: g2.Code}, errs.Invalid, "/units/0", ""},
		{"named twice", p, gridplan.Edit{Op: "move", Units: ids(edge[0], edge[0]), To: g1.Code}, errs.Invalid, "/units/1", ""},
		{"unknown unit", p, gridplan.Edit{Op: "move", Units: []string{cells.Of(orb.Point{10, 10}, 11).String()}, To: g1.Code}, errs.Invalid, "/units/0", ""},
		{"junk unit id", p, gridplan.Edit{Op: "move", Units: []string{edge[0].ID.String(), "8b2a1"}, To: g1.Code}, errs.Invalid, "/units/1", ""},
		{"unknown to", p, gridplan.Edit{Op: "move", Units: ids(edge[0]), To: "320111001001009"}, errs.Invalid, "/to", ""},
		{"none", p, gridplan.Edit{Op: "move", To: g1.Code}, errs.Invalid, "/units", ""},
		{"source locked", locked, gridplan.Edit{Op: "move", Units: ids(edge[0]), To: g1.Code}, errs.Conflict, "/units/0", ""},
		{"receiver locked", lockedTo, gridplan.Edit{Op: "move", Units: ids(edge[0]), To: g1.Code}, errs.Conflict, "/to", ""},
		{"lands apart", p, gridplan.Edit{Op: "move", Units: ids(deep), To: g1.Code}, errs.Invalid, "body", g1.Code},
		{"disconnects the source", p, gridplan.Edit{Op: "move", Units: ids(band...), To: g1.Code}, errs.Invalid, "body", g2.Code},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := clonePlan(tc.plan)
			before.Units = append([]gridplan.Unit(nil), tc.plan.Units...)
			r, err := gridplan.ApplyEdit(ctx, tc.plan, b, tc.edit, partition.Grids)
			if !reflect.DeepEqual(before, tc.plan) {
				t.Fatal("ApplyEdit changed its input plan")
			}
			if tc.code != "" {
				if err == nil {
					t.Fatalf("applied: changed %v", codesOf(r.Changed))
				}
				e, ok := errs.As(err)
				if !ok || e.Code != tc.code || e.Field != tc.field {
					t.Fatalf("err %v, want %s naming %s", err, tc.code, tc.field)
				}
				if tc.field == "body" {
					var re *gridplan.RefusedError
					if !errorsAs(err, &re) || len(re.Findings.Errors()) == 0 {
						t.Fatalf("refused without findings: %v", err)
					}
					found := false
					for _, f := range re.Findings.Errors() {
						found = found || f.Rule == "contiguous" && f.Grid == tc.parts
					}
					if !found {
						t.Errorf("no contiguous finding for %s: %+v", tc.parts, re.Findings.Errors())
					}
				}
				return
			}
			if err != nil {
				var re *gridplan.RefusedError
				if errorsAs(err, &re) {
					t.Fatalf("%v: %+v", err, re.Findings)
				}
				t.Fatal(err)
			}
			checkResult(t, b, tc.plan, r)
			if r.Units == nil {
				t.Fatal("no units to write")
			}
			to := gridOf(r.Grids, tc.edit.To)
			moved := map[gridplan.UnitID]bool{}
			for _, raw := range tc.edit.Units {
				id, _ := gridplan.ParseUnitID(raw)
				moved[id] = true
			}
			sum := map[bundle.GridCode]int{}
			for _, u := range r.Units.Units {
				if moved[u.ID] && u.Grid != to.Code {
					t.Errorf("unit %s is in %s after the move, want %s", u.ID, u.Grid, to.Code)
				}
				sum[u.Grid] += u.Households
			}
			// Households exact: the units' sums are the grids' (which
			// checkResult compared with the buildings).
			for _, g := range r.Changed {
				if sum[g.Code] != g.Households {
					t.Errorf("grid %s: units hold %d households, the grid %d", g.Code, sum[g.Code], g.Households)
				}
			}
			if len(r.Changed) != 2 || len(r.Removed) != 0 {
				t.Errorf("changed %v removed %v, want the two grids", codesOf(r.Changed), r.Removed)
			}
		})
	}
}

// FuzzParseUnitID: a unit id parses only as a valid H3 cell of resolution
// 7..15 that prints back as its input (lower case), never a silent zero.
func FuzzParseUnitID(f *testing.F) {
	for _, s := range []string{"8b309a2d5b2dfff", "8B309A2D5B2DFFF", "", "0", "000000000000000", "ffffffffffffffff", "8b309a2d5b2dff", "8b309a2d5b2dfffx", "85283473fffffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := gridplan.ParseUnitID(s)
		if err != nil {
			if e, ok := errs.As(err); !ok || e.Code != errs.Invalid {
				t.Fatalf("%q: %v, want Invalid", s, err)
			}
			return
		}
		c := id.Cell()
		if id == 0 || !c.IsValid() || c.Resolution() < 7 {
			t.Fatalf("%q parsed to %x", s, uint64(id))
		}
		back, err := gridplan.ParseUnitID(id.String())
		if err != nil || back != id {
			t.Fatalf("%q: %s does not parse back (%v)", s, id, err)
		}
	})
}

// TestEditUnitsFollowShapes: merge, split and redraw on a plan with
// stored units rewrite the units of the touched community: every unit in
// the grid of the result holding its centre (merge: the kept grid), none
// of a removed grid, none lost; lock writes none.
func TestEditUnitsFollowShapes(t *testing.T) {
	ctx := context.Background()
	b, p := thirds(t)
	g1, g2, g3 := p.Grids[0], p.Grids[1], p.Grids[2]
	p.Units = communityUnits(t, b, p, g1.Community)
	bd := g2.Geom.Bound()
	// redraw: 001 takes the west half of 002.
	west := orb.Bound{Min: orb.Point{bd.Min[0] - 1e-3, bd.Min[1] - 1}, Max: orb.Point{(bd.Min[0] + bd.Max[0]) / 2, bd.Max[1] + 1}}.ToPolygon()
	for _, tc := range []struct {
		name string
		edit gridplan.Edit
	}{
		{"merge", gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{g1.Code, g2.Code}}},
		{"split", gridplan.Edit{Op: "split", Grid: g3.Code, N: 2}},
		{"redraw", gridplan.Edit{Op: "redraw", Grid: g1.Code, Polygon: polygonJSON(t, west)}},
		{"lock", gridplan.Edit{Op: "lock", Grids: []bundle.GridCode{g1.Code}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := gridplan.ApplyEdit(ctx, p, b, tc.edit, partition.Grids)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit.Op == "lock" {
				if r.Units != nil {
					t.Fatalf("a lock writes units: %d", len(r.Units.Units))
				}
				return
			}
			if r.Units == nil || len(r.Units.Units) != len(p.Units) {
				t.Fatalf("units written: %v, want all %d of the community", r.Units != nil, len(p.Units))
			}
			for _, c := range r.Removed {
				for _, u := range r.Units.Units {
					if u.Grid == c {
						t.Fatalf("unit %s in removed grid %s", u.ID, c)
					}
				}
			}
			now := map[bundle.GridCode]*gridplan.Grid{}
			for i := range r.Grids {
				now[r.Grids[i].Code] = &r.Grids[i]
			}
			wrong := 0
			for _, u := range r.Units.Units {
				g := now[u.Grid]
				if g == nil {
					t.Fatalf("unit %s in grid %s, which the plan does not have", u.ID, u.Grid)
				}
				if ct := cells.Centre(u.ID.Cell()); planar.MultiPolygonContains(g.Geom, ct) != true {
					in := false
					for _, o := range r.Grids {
						in = in || o.Community == g.Community && planar.MultiPolygonContains(o.Geom, ct)
					}
					if in {
						wrong++
					}
				}
			}
			if wrong > 0 {
				t.Errorf("%d units are not in the grid holding their centre", wrong)
			}
		})
	}
}
