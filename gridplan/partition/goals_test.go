package partition_test

import (
	"context"
	"math"
	"testing"

	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// Issue 15's goals, and what the planner reaches today where it falls
// short (gridplan/README.md, "Balance on tower clusters"). The reached
// floors sit a little under the measured figures (logged by each test) so
// that a regression fails; raise them when the planner improves.
const (
	goalWithinMean   = 0.99 // share of grids within ±10 % of the community mean
	goalMedianPP     = 0.55
	reachedTowersIn  = 0.65 // measured 68.7 % (seed 1), 68.1 % (seed 2)
	reachedMedianPP  = 0.44 // measured 0.499 Pukou, 0.455 / 0.481 Towers
	reachedP10PP     = 0.25 // measured 0.361 Pukou, 0.271 / 0.322 Towers
	reachedMaxDevPct = 21.0 // Towers, measured 18.8 / 18.6; the goal's ±25 % is met
)

// checkOutliers holds every grid beyond ±25 % of its community mean to the
// goal: it must be named among the Report's Outliers with a reason that
// the data forces (a single building, the community's total), never
// ReasonSearch; and every named outlier must really lie beyond ±25 %.
func checkOutliers(t *testing.T, name string, rep *partition.Report) {
	t.Helper()
	named := map[string]partition.Outlier{}
	for _, o := range rep.Outliers {
		named[string(o.Code)] = o
		if math.Abs(o.DeviationPct) <= partition.OutlierPct {
			t.Errorf("%s: outlier %s at %+.1f %% is inside ±%d %%", name, o.Code, o.DeviationPct, partition.OutlierPct)
		}
		if o.Reason == partition.ReasonSearch {
			t.Errorf("%s: grid %s at %+.1f %% beyond ±%d %% with nothing forcing it (%s)", name, o.Code, o.DeviationPct, partition.OutlierPct, o.Detail)
		}
	}
	for _, g := range rep.PerGrid {
		if !g.OwnBuilding && math.Abs(g.DeviationPct) > partition.OutlierPct {
			if _, ok := named[string(g.Code)]; !ok {
				t.Errorf("%s: grid %s at %+.1f %% is not among the Report's outliers", name, g.Code, g.DeviationPct)
			}
		}
	}
}

func logFigures(t *testing.T, name string, rep *partition.Report) {
	t.Helper()
	t.Logf("%s: %d grids, within ±10%% of mean %.2f%% (goal %.0f%%), max |dev| %.1f%%, beyond ±25%%: %d, PP median %.3f (goal %.2f) P10 %.3f, %.2f s",
		name, rep.Grids, 100*rep.WithinCommunityMeanShare, 100*goalWithinMean, rep.MaxAbsDeviationPct, len(rep.Outliers),
		rep.MedianPolsbyPopper, goalMedianPP, rep.P10PolsbyPopper, rep.Seconds)
}

// TestGoalsPukou: on Pukou the balance goal is met (≥ 99 % within ±10 %,
// none beyond ±25 % unforced); compactness is held at what is reached
// (median Polsby-Popper goal 0.55 not met).
func TestGoalsPukou(t *testing.T) {
	rep := pukou(t).rep
	logFigures(t, "Pukou", rep)
	if rep.WithinCommunityMeanShare < goalWithinMean {
		t.Errorf("Pukou: %.2f %% within ±10 %% of the community mean, goal %.0f %%", 100*rep.WithinCommunityMeanShare, 100*goalWithinMean)
	}
	checkOutliers(t, "Pukou", rep)
	if rep.MedianPolsbyPopper < reachedMedianPP || rep.P10PolsbyPopper < reachedP10PP {
		t.Errorf("Pukou: Polsby-Popper median %.3f P10 %.3f, reached %.2f / %.2f", rep.MedianPolsbyPopper, rep.P10PolsbyPopper, reachedMedianPP, reachedP10PP)
	}
}

// TestGoalsReachedTowers plans the tower-cluster district for two seeds:
// the ±25 % goal is met (no grid beyond it unforced); the ≥ 99 % within
// ±10 % goal is NOT met and is held at what is reached (about 68 %), as is
// compactness.
func TestGoalsReachedTowers(t *testing.T) {
	for _, seed := range []int64{1, 2} {
		b := fixtures.Towers(seed, fixtures.DefaultTowers())
		_, rep, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		name := "Towers seed " + string(rune('0'+seed))
		logFigures(t, name, rep)
		checkOutliers(t, name, rep)
		if rep.WithinCommunityMeanShare < reachedTowersIn {
			t.Errorf("%s: %.2f %% within ±10 %%, reached before %.0f %%", name, 100*rep.WithinCommunityMeanShare, 100*reachedTowersIn)
		}
		if rep.MaxAbsDeviationPct > reachedMaxDevPct {
			t.Errorf("%s: max |deviation| %.1f %%, reached before %.1f %%", name, rep.MaxAbsDeviationPct, reachedMaxDevPct)
		}
		if rep.MedianPolsbyPopper < reachedMedianPP || rep.P10PolsbyPopper < reachedP10PP {
			t.Errorf("%s: Polsby-Popper median %.3f P10 %.3f, reached %.2f / %.2f", name, rep.MedianPolsbyPopper, rep.P10PolsbyPopper, reachedMedianPP, reachedP10PP)
		}
		if rep.WithinCommunityMeanShare < goalWithinMean {
			t.Logf("%s: issue 15's goal of %.0f %% within ±10 %% is not met (gap %.1f points)", name, 100*goalWithinMean, 100*(goalWithinMean-rep.WithinCommunityMeanShare))
		}
	}
}
