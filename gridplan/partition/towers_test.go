package partition_test

import (
	"math"
	"sort"
	"testing"

	"github.com/gridd/gridd/gridplan/partition"
)

// TestPartitionTowersPostGIS plans the tower-cluster district
// (fixtures.Towers, seed 1) and has PostGIS check the tiling, contiguity,
// enclaves, household counts and the report's figures as on Pukou; it
// logs the balance and compactness figures and the grids beyond ±25 % of
// their community mean. The balance floors here are guards against
// regressions (goals_test.go: 86.5 % within ±10 % of the community mean,
// median Polsby-Popper 0.554); issue 15's balance goal (≥ 99 %) is not met
// on this district (gridplan/README.md; TestGoalsReachedTowers logs the
// gap).
func TestPartitionTowersPostGIS(t *testing.T) {
	r := towers(t, 1)
	b, plan, rep := r.b, r.plan, r.rep
	checkWithPostGISGoals(t, b, plan.Grids, rep, goals{withinMean: reachedTowersIn, withinNominal: 0.85, medianPP: goalMedianPP})
	var far []partition.GridReport
	for _, g := range rep.PerGrid {
		if !g.OwnBuilding && math.Abs(g.DeviationPct) > 25 {
			far = append(far, g)
		}
	}
	sort.Slice(far, func(i, j int) bool { return math.Abs(far[i].DeviationPct) > math.Abs(far[j].DeviationPct) })
	t.Logf("towers: %d grids, within ±10%%: %.2f%%, max dev %.1f%%, PP median %.3f P10 %.3f, %.2fs, beyond ±25%%: %d",
		rep.Grids, 100*rep.WithinCommunityMeanShare, rep.MaxAbsDeviationPct, rep.MedianPolsbyPopper, rep.P10PolsbyPopper, rep.Seconds, len(far))
	for i, g := range far {
		if i < 10 {
			t.Logf("  %s %d households, mean %.0f, %+.1f%%", g.Code, g.Households, g.CommunityMean, g.DeviationPct)
		}
	}
}
