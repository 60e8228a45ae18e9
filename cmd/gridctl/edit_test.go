package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

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
	wantRun(t, nil, 0, []string{"removed\t", "edited plan " + ids + ": merge, 1 changed, 1 removed"}, "edit", "--data", data, ids, fmt.Sprintf(`{"op":"merge","grids":[%q,%q]}`, w, e))
}
