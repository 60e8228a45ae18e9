package gridplan

import (
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// Params steer Partition. The zero value is not useful; start from
// DefaultParams.
type Params struct {
	UrbanTarget  int     `json:"urban_target"`  // households a grid in an urban community
	RuralTarget  int     `json:"rural_target"`  // households a grid in a rural village
	TolerancePct float64 `json:"tolerance_pct"` // acceptable deviation from the community mean, percent
	Seed         int64   `json:"seed"`
	// RefineSharePct is the share of a grid's target, percent, above which
	// a planning cell holding more than one building is refined (its
	// community planned on finer H3 cells) until every cell holds one
	// building or at most this share; 0 means the default, 10.
	RefineSharePct float64 `json:"refine_share_pct,omitempty"`
	// Locked grids are kept as they are (later planner edits); their
	// buildings are not reassigned.
	Locked []Grid `json:"-"`
	// Previous is an earlier plan to start from (warm start): each
	// community with grids here is re-planned from them, so that most
	// households keep their grid and code after small changes.
	Previous []Grid `json:"-"`
	// Progress, when set, is called after each community is planned with
	// the number done and the total; calls are serialised.
	Progress func(done, total int) `json:"-"`
	// ExactGridCount plans k = GridCount(H, target) grids in every
	// community, without trying the neighbouring counts the partitioner
	// tries where whole buildings keep a grid beyond the tolerance (a
	// planner's split into n grids sets it).
	ExactGridCount bool `json:"-"`
	// MaxWorkers, when positive, bounds how many communities are planned
	// at once (a plan job in the service leaves a core to the requests);
	// 0 means one per CPU. The plan does not depend on it.
	MaxWorkers int `json:"-"`
}

// Workers is how many communities to plan at once given cpus CPUs.
func (p Params) Workers(cpus int) int {
	if p.MaxWorkers > 0 && p.MaxWorkers < cpus {
		return p.MaxWorkers
	}
	return max(cpus, 1)
}

// DefaultParams are the joint-duty model's targets: 500 households a grid in
// urban communities, 300 in rural villages, ±10%.
func DefaultParams() Params {
	return Params{UrbanTarget: 500, RuralTarget: 300, TolerancePct: 10, Seed: 1}
}

// Validate reports targets that are not positive and a tolerance outside
// (0, 100) percent, as errs.Invalid naming "params".
func (p Params) Validate() error {
	if p.UrbanTarget <= 0 || p.RuralTarget <= 0 {
		return errs.E(errs.Invalid, "params", "targets must be positive, got urban %d rural %d", p.UrbanTarget, p.RuralTarget)
	}
	if !(p.TolerancePct > 0 && p.TolerancePct < 100) {
		return errs.E(errs.Invalid, "params", "tolerance_pct must be in (0, 100), got %v", p.TolerancePct)
	}
	if !(p.RefineSharePct >= 0 && p.RefineSharePct < 100) {
		return errs.E(errs.Invalid, "params", "refine_share_pct must be in [0, 100), got %v", p.RefineSharePct)
	}
	return nil
}

// DefaultRefineSharePct is RefineSharePct's default.
const DefaultRefineSharePct = 10

// RefineShare is the share of a grid's target (a fraction) above which a
// cell of several buildings is refined: RefineSharePct, or its default.
func (p Params) RefineShare() float64 {
	if p.RefineSharePct == 0 {
		return DefaultRefineSharePct / 100.0
	}
	return p.RefineSharePct / 100
}

// Target is the nominal households a grid in a community of kind k.
func (p Params) Target(k bundle.Kind) int {
	if k == bundle.Rural {
		return p.RuralTarget
	}
	return p.UrbanTarget
}
