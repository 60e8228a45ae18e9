package store

import (
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// StoredGrid is what an edit's write reads back of a grid it touches, in
// its transaction, to tell whether another edit came first.
type StoredGrid struct {
	Households int
	Geom       orb.MultiPolygon
}

// CheckEditBase compares an edit's base (EditResult.Base) and new codes
// with the stored grids of the codes it touches (have: read in the
// write's transaction): Conflict when a base grid is gone, its households
// or its shape (vertex for vertex: a store gives back what it was given)
// changed, or a new code exists already.
func CheckEditBase(id gridplan.PlanID, put []gridplan.Grid, base []gridplan.Grid, have map[bundle.GridCode]StoredGrid) error {
	inBase := make(map[bundle.GridCode]bool, len(base))
	for _, g := range base {
		inBase[g.Code] = true
		if st, ok := have[g.Code]; !ok || st.Households != g.Households || !orb.Equal(st.Geom, g.Geom) {
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
