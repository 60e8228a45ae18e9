package partition_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/gridd/gridd/bundle"
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
	goalMedianPP     = 0.55 // median Polsby-Popper, every district
	reachedTowersIn  = 0.86 // measured 86.5 % (seed 1), 86.4 % (seed 2); goal 99 % not met
	reachedP10PP     = 0.36 // measured 0.436 Pukou, 0.372 / 0.371 Towers (no goal; reported)
	reachedMaxDevPct = 22.0 // Towers, measured 21.8 / 17.6; the goal's ±25 % is met
)

// towersSeeds are the tower-cluster districts the goals are measured on
// (the generator's seed; the partition seed is gridplan.DefaultParams').
var towersSeeds = []int64{1, 2}

type towersRun struct {
	b    *bundle.Bundle
	plan *gridplan.Plan
	rep  *partition.Report
	err  error
}

var (
	towersMu   sync.Mutex
	towersRuns = map[int64]*towersRun{}
)

// towers plans fixtures.Towers(seed) once per test binary (several CPU
// seconds, ×5-10 under -race) and shares it among the tests.
func towers(t *testing.T, seed int64) *towersRun {
	t.Helper()
	skipHeavyTowers(t)
	towersMu.Lock()
	defer towersMu.Unlock()
	r, ok := towersRuns[seed]
	if !ok {
		r = &towersRun{b: fixtures.Towers(seed, fixtures.DefaultTowers())}
		r.plan, r.rep, r.err = partition.Plan(context.Background(), r.b, gridplan.DefaultParams())
		towersRuns[seed] = r
	}
	if r.err != nil {
		t.Fatalf("Towers seed %d: %v", seed, r.err)
	}
	return r
}

// skipHeavyTowers skips a test that plans the whole tower district under
// -race or -short: planning it takes several CPU seconds (×5-10 under
// the race detector), and Pukou already runs the planner's concurrency
// under -race. The goals are asserted by `go test ./gridplan/partition`,
// which scripts/test.sh (make test, CI) runs without -race.
func skipHeavyTowers(t *testing.T) {
	t.Helper()
	if raceEnabled || testing.Short() {
		t.Skip("plans the tower district (135,000 households): run `go test ./gridplan/partition -run Towers` without -race/-short")
	}
}

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
	beyond := 0
	for _, g := range rep.PerGrid {
		if !g.OwnBuilding && math.Abs(g.DeviationPct) > partition.OutlierPct {
			beyond++
			if _, ok := named[string(g.Code)]; !ok {
				t.Errorf("%s: grid %s at %+.1f %% is not among the Report's outliers", name, g.Code, g.DeviationPct)
			}
		}
	}
	if want := 1 - float64(beyond)/float64(max(1, rep.Grids-rep.OwnBuildingGrids)); rep.WithinOutlierShare > want+1e-9 {
		t.Errorf("%s: WithinOutlierShare %.4f but %d grids lie beyond ±25 %%", name, rep.WithinOutlierShare, beyond)
	}
}

func logFigures(t *testing.T, name string, rep *partition.Report) {
	t.Helper()
	t.Logf("%s: %d grids, within ±10%% of mean %.2f%% (goal %.0f%%), within ±25%% %.2f%%, max |dev| %.1f%%, outliers: %d, PP median %.3f (goal %.2f) P10 %.3f, %.2f s",
		name, rep.Grids, 100*rep.WithinCommunityMeanShare, 100*goalWithinMean, 100*rep.WithinOutlierShare, rep.MaxAbsDeviationPct, len(rep.Outliers),
		rep.MedianPolsbyPopper, goalMedianPP, rep.P10PolsbyPopper, rep.Seconds)
}

// checkCompact holds the compactness goal (median Polsby-Popper ≥ 0.55) and
// the reached P10.
func checkCompact(t *testing.T, name string, rep *partition.Report) {
	t.Helper()
	if rep.MedianPolsbyPopper < goalMedianPP {
		t.Errorf("%s: Polsby-Popper median %.3f, goal %.2f", name, rep.MedianPolsbyPopper, goalMedianPP)
	}
	if rep.P10PolsbyPopper < reachedP10PP {
		t.Errorf("%s: Polsby-Popper P10 %.3f, reached before %.2f", name, rep.P10PolsbyPopper, reachedP10PP)
	}
}

// TestGoalsPukou: on Pukou the balance goal (≥ 99 % within ±10 %, none
// beyond ±25 % unforced) and the compactness goal are met.
func TestGoalsPukou(t *testing.T) {
	rep := pukou(t).rep
	logFigures(t, "Pukou", rep)
	if rep.WithinCommunityMeanShare < goalWithinMean {
		t.Errorf("Pukou: %.2f %% within ±10 %% of the community mean, goal %.0f %%", 100*rep.WithinCommunityMeanShare, 100*goalWithinMean)
	}
	checkOutliers(t, "Pukou", rep)
	checkCompact(t, "Pukou", rep)
}

// TestGoalsReachedTowers plans the tower-cluster district (seeds 1 and 2;
// skipped under -race and -short): the ±25 % goal is met (no grid beyond it unforced)
// and so is compactness; the ≥ 99 % within ±10 % goal is NOT met and is
// held at what is reached (about 86 %; why: gridplan/README.md). Grid
// counts follow the planning rule (checkGridCounts).
func TestGoalsReachedTowers(t *testing.T) {
	skipHeavyTowers(t)
	for _, seed := range towersSeeds {
		rep := towers(t, seed).rep
		name := fmt.Sprintf("Towers seed %d", seed)
		logFigures(t, name, rep)
		checkOutliers(t, name, rep)
		checkCompact(t, name, rep)
		if rep.WithinCommunityMeanShare < reachedTowersIn {
			t.Errorf("%s: %.2f %% within ±10 %%, reached before %.0f %%", name, 100*rep.WithinCommunityMeanShare, 100*reachedTowersIn)
		}
		if rep.MaxAbsDeviationPct > reachedMaxDevPct {
			t.Errorf("%s: max |deviation| %.1f %%, reached before %.1f %%", name, rep.MaxAbsDeviationPct, reachedMaxDevPct)
		}
		if rep.WithinCommunityMeanShare < goalWithinMean {
			t.Logf("%s: issue 15's goal of %.0f %% within ±10 %% is not met (gap %.1f points)", name, 100*goalWithinMean, 100*(goalWithinMean-rep.WithinCommunityMeanShare))
		}
		checkGridCounts(t, name, rep, gridplan.DefaultParams().TolerancePct)
	}
}

// checkGridCounts holds each community's grid count to the planning rule:
// k = GridCount(H, T), or another count whose mean H/k is within the
// tolerance of the target T (partition's otherCounts).
func checkGridCounts(t *testing.T, name string, rep *partition.Report, tolPct float64) {
	t.Helper()
	type comm struct{ h, k, target int }
	per := map[bundle.CommunityCode]*comm{}
	skip := map[bundle.CommunityCode]bool{}
	for _, g := range rep.PerGrid {
		if g.OwnBuilding {
			skip[g.Community] = true
		}
		c := per[g.Community]
		if c == nil {
			c = &comm{target: g.Target}
			per[g.Community] = c
		}
		c.h += g.Households
		c.k++
	}
	changed := 0
	for code, c := range per {
		if skip[code] || c.h == 0 {
			continue
		}
		want := partition.GridCount(c.h, c.target)
		if c.k == want {
			continue
		}
		changed++
		mean := float64(c.h) / float64(c.k)
		if math.Abs(mean-float64(c.target)) > tolPct/100*float64(c.target) {
			t.Errorf("%s: community %s has %d grids of mean %.0f; GridCount(%d, %d) = %d", name, code, c.k, mean, c.h, c.target, want)
		}
	}
	t.Logf("%s: %d of %d communities planned with another grid count than GridCount", name, changed, len(per))
}
