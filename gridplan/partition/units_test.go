package partition_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store/storetest"
)

// TestPlanUnits: the partitioner's plan carries its units — each graph
// cell once a community, in a grid of the plan, the grids' households
// the sums of their units' (exactly the buildings'), and each unit's
// centre inside its grid when it lies in the community.
func TestPlanUnits(t *testing.T) {
	b := storetest.SmallBundle(7)
	p, _, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Units) == 0 {
		t.Fatal("no units")
	}
	if err := gridplan.CheckUnits(p.Units, codes(p.Grids)); err != nil {
		t.Fatal(err)
	}
	byCode := map[bundle.GridCode]*gridplan.Grid{}
	for i := range p.Grids {
		byCode[p.Grids[i].Code] = &p.Grids[i]
	}
	sum := map[bundle.GridCode]int{}
	seen := map[bundle.CommunityCode]map[gridplan.UnitID]bool{}
	off := 0
	for _, u := range p.Units {
		g := byCode[u.Grid]
		c := g.Community
		if seen[c] == nil {
			seen[c] = map[gridplan.UnitID]bool{}
		}
		if seen[c][u.ID] {
			t.Fatalf("unit %s twice in community %s", u.ID, c)
		}
		seen[c][u.ID] = true
		sum[u.Grid] += u.Households
		cm, _ := b.Community(c)
		ct := cells.Centre(u.ID.Cell())
		if planar.MultiPolygonContains(cm.Geom, ct) && !planar.MultiPolygonContains(g.Geom, ct) {
			off++
		}
	}
	if off > len(p.Units)/200 {
		t.Errorf("%d of %d units have their centre outside their grid", off, len(p.Units))
	}
	for _, g := range p.Grids {
		if _, ok := sum[g.Code]; !ok {
			continue // a grid planned without cells (one grid a community)
		}
		if sum[g.Code] != g.Households {
			t.Errorf("grid %s: units hold %d households, the grid %d", g.Code, sum[g.Code], g.Households)
		}
	}
}

func codes(gs []gridplan.Grid) []bundle.GridCode {
	out := make([]bundle.GridCode, len(gs))
	for i, g := range gs {
		out[i] = g.Code
	}
	return out
}
