package store

import (
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// CheckEditBase compares an edit's base (EditResult.Base) and new codes
// with the stored households of the codes it touches (have: code →
// households, read in the write's transaction): Conflict when a base grid
// is gone or changed or a new code exists already.
func CheckEditBase(id gridplan.PlanID, put []gridplan.Grid, base []gridplan.Grid, have map[bundle.GridCode]int) error {
	inBase := make(map[bundle.GridCode]bool, len(base))
	for _, g := range base {
		inBase[g.Code] = true
		if hh, ok := have[g.Code]; !ok || hh != g.Households {
			return errs.E(errs.Conflict, "plan", "grid %s of plan %d changed since the edit read it (another edit came first); retry", g.Code, id)
		}
	}
	for _, g := range put {
		if _, ok := have[g.Code]; ok && !inBase[g.Code] {
			return errs.E(errs.Conflict, "plan", "grid %s of plan %d was added since the edit read it (another edit came first); retry", g.Code, id)
		}
	}
	return nil
}
