package partition_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store/storetest"
)

// TestMoveAfterCornerCutting: a planner's move of two adjacent units of a
// grid into the neighbour both border works on a partitioned plan whose
// borders had their corners cut. The corner triangle the partitioner gave
// the source grid from a cell of the receiving one hangs on the two moved
// cells only; it must go with them, not stay behind as a second part of
// the source (before gridplan's splitCorners every such move of 60 tried
// was refused as "contiguous"; with square corners 1 of 60).
func TestMoveAfterCornerCutting(t *testing.T) {
	b := storetest.SmallBundle(7)
	p, _, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	byCell := map[h3.Cell]gridplan.Unit{}
	for _, u := range p.Units {
		byCell[u.ID.Cell()] = u
	}
	tried := 0
	for _, u := range p.Units {
		if tried == 30 {
			break
		}
		nbs, _ := cells.Neighbours(u.ID.Cell(), cells.Centre)
		for i := 0; i < 6; i++ {
			ua, oka := byCell[nbs[i]]
			ub, okb := byCell[nbs[(i+1)%6]]
			if !oka || !okb || ua.Grid != u.Grid || ub.Grid == u.Grid {
				continue
			}
			tried++
			e := gridplan.Edit{Op: "move", Units: []string{u.ID.String(), ua.ID.String()}, To: ub.Grid}
			_, err := gridplan.ApplyEdit(context.Background(), p, b, e, partition.Grids)
			var re *gridplan.RefusedError
			if errors.As(err, &re) {
				t.Errorf("move of %s, %s from %s to %s refused: %v", u.ID, ua.ID, u.Grid, ub.Grid, re.Findings.Errors())
			} else if err != nil {
				t.Errorf("move of %s, %s to %s: %v", u.ID, ua.ID, ub.Grid, err)
			}
			break
		}
	}
	if tried < 30 {
		t.Fatalf("only %d pairs of adjacent units on a border", tried)
	}
}
