package store

import (
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// CheckPlanUnits checks p's units (Plan.Units, written by CreatePlan)
// against its grids: Invalid naming "units" for a bad unit or one of a
// grid p does not have. nil p is left to the plan's own checks.
func CheckPlanUnits(p *gridplan.Plan) error {
	if p == nil || len(p.Units) == 0 {
		return nil
	}
	codes := make([]bundle.GridCode, len(p.Grids))
	for i, g := range p.Grids {
		codes[i] = g.Code
	}
	if err := gridplan.CheckUnits(p.Units, codes); err != nil {
		return errs.E(errs.Invalid, "units", "%v", err)
	}
	return nil
}
