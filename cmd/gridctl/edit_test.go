package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/sfgeom"
	"github.com/gridd/gridd/store/storetest"
)

// TestEditCommand: gridctl edit locks, refuses an edit of the locked
// grid, merges two halves of a community and refuses a redraw that
// disconnects a grid (printing the findings), on the embedded store.
func TestEditCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	s, _, err := openStore(ctx, &env{getenv: func(string) string { return "" }}, data)
	if err != nil {
		t.Fatal(err)
	}
	b := storetest.SmallBundle(7)
	if err := s.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	c := b.Communities[0]
	bd := c.Geom.Bound()
	mid := (bd.Min[0] + bd.Max[0]) / 2
	var grids []gridplan.Grid
	for k, box := range []orb.Bound{{Min: bd.Min, Max: orb.Point{mid, bd.Max[1]}}, {Min: orb.Point{mid, bd.Min[1]}, Max: bd.Max}} {
		part, err := sfgeom.Intersection(sfgeom.FromOrb(c.Geom), sfgeom.FromOrb(orb.MultiPolygon{box.ToPolygon()}))
		if err != nil {
			t.Fatal(err)
		}
		code, _ := bundle.NewGridCode(c.Code, k+1)
		hh := 0
		for _, bl := range b.Buildings {
			if planar.MultiPolygonContains(part, bl.Loc) {
				hh += bl.Households
			}
		}
		grids = append(grids, gridplan.Grid{Code: code, Community: c.Code, Street: c.Street, Kind: c.Kind, Households: hh, Target: 300, Geom: part})
	}
	others := storetest.CommunityGrids(b)[1:]
	id, err := s.CreatePlan(ctx, &gridplan.Plan{Name: "draft", Params: gridplan.DefaultParams(), Grids: append(grids, others...)})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	w, e := string(grids[0].Code), string(grids[1].Code)
	cx, cy := (bd.Min[0]+bd.Max[0])/2, (bd.Min[1]+bd.Max[1])/2
	dx := (bd.Max[0] - bd.Min[0]) / 10
	hole := fmt.Sprintf(`{"op":"redraw","grid":%q,"polygon":{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}}`,
		w, cx+dx, cy-dx/2, cx+2*dx, cy-dx/2, cx+2*dx, cy+dx/2, cx+dx, cy+dx/2, cx+dx, cy-dx/2)
	ids := id.String()
	wantRun(t, nil, 2, nil, "edit", "--data", data, ids)
	wantRun(t, nil, 2, []string{"not a JSON edit"}, "edit", "--data", data, ids, `{"op":"merge","colour":1}`)
	wantRun(t, nil, 0, []string{"changed\t" + e, "locked", "edited plan"}, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"lock","grids":[%q]}`, e))
	wantRun(t, nil, 1, []string{"locked"}, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"merge","grids":[%q,%q]}`, w, e))
	wantRun(t, nil, 0, nil, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"unlock","grids":[%q]}`, e))
	wantRun(t, nil, 1, []string{"contiguous", e}, "edit", "--data", data, ids, hole)
	// move a unit of the east half on the cut into the west half, by its
	// id (as GET /plans/{id}/units lists it): stored with the draft.
	unit := edgeUnit(t, b, grids[1], grids[0], grids)
	wantRun(t, nil, 0, []string{unit + "\t" + e + "\t"}, "units", "--data", data, ids, e)
	wantRun(t, nil, 2, nil, "units", "--data", data, ids, "x")
	wantRun(t, nil, 1, []string{"/units/0"}, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"move","units":["8b2a100d2d1bfff"],"to":%q}`, w))
	wantRun(t, nil, 0, []string{"changed\t" + w, "changed\t" + e, "edited plan " + ids + ": move, 2 changed, 0 removed"}, "edit", "--data", data, ids,
		fmt.Sprintf(`{"op":"move","units":[%q],"to":%q}`, unit, w))
	s, _, err = openStore(ctx, &env{getenv: func(string) string { return "" }}, data)
	if err != nil {
		t.Fatal(err)
	}
	us, err := s.PlanUnits(ctx, id, grids[0].Code)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range us {
		found = found || u.ID.String() == unit
	}
	if !found {
		t.Fatalf("unit %s is not stored in %s after the move (%d units)", unit, w, len(us))
	}
	wantRun(t, nil, 0, []string{unit + "\t" + w + "\t"}, "units", "--data", data, ids, w)
	wantRun(t, nil, 0, []string{"removed\t", "edited plan " + ids + ": merge, 1 changed, 1 removed"}, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"merge","grids":[%q,%q]}`, w, e))
}

// edgeUnit is a unit of grid from (derived from the community's grids)
// whose cell reaches into grid to.
func edgeUnit(t *testing.T, b *bundle.Bundle, from, to gridplan.Grid, grids []gridplan.Grid) string {
	t.Helper()
	c, _ := b.Community(from.Community)
	us, err := gridplan.DeriveUnits(c, grids, b.Buildings, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var edge []string
	for _, u := range us {
		if u.Grid != from.Code {
			continue
		}
		for _, v := range h3.CellToBoundary(u.ID.Cell()) {
			if planar.MultiPolygonContains(to.Geom, orb.Point{v.Lng, v.Lat}) {
				edge = append(edge, u.ID.String())
				break
			}
		}
	}
	if len(edge) == 0 {
		t.Fatal("no unit on the edge")
	}
	return edge[len(edge)/2]
}
