package store

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// ImportRequest is one import: a bundle, a plan, or both, and whether to
// publish the plan. Everything it asks for happens in one transaction.
type ImportRequest struct {
	// Bundle replaces the district's reference data; nil keeps the
	// stored bundle.
	Bundle *bundle.Bundle
	// Plan is stored as a new plan after validation against the bundle
	// in effect (Bundle, else the stored one); nil adds no plan.
	Plan *gridplan.Plan
	// Publish publishes Plan (it needs Plan).
	Publish bool
	// WithdrawPlan archives the published plan, in the same transaction,
	// when Bundle no longer fits it; without it such a bundle is refused.
	WithdrawPlan bool
	// Shifts, when ReplaceShifts, replace the duty roster in the same
	// transaction (a bundle's shifts.csv); they need Bundle and are
	// checked against it (bundle.CheckShifts). CheckImport normalises
	// them in place (bundle.Shift.Normal: UTC, default ids).
	Shifts        []bundle.Shift
	ReplaceShifts bool
}

// ImportResult says what an import did.
type ImportResult struct {
	Plan      gridplan.PlanID    // the new plan (0 when none was given)
	Published bool               // the new plan is published
	Withdrawn gridplan.PlanID    // the plan archived because the bundle no longer fits it (0 when none)
	Warnings  []gridplan.Finding // the new plan's validation warnings
}

// Importer is the one way data from outside enters a store.
type Importer interface {
	// Import applies req in one transaction: afterwards the store holds
	// exactly the state before or exactly the state req describes, even
	// when the process is killed midway. Imports are serialised with a
	// store-level lock; an import that cannot get it in time fails with
	// Conflict ("another import is running"). Errors: Invalid for a bad
	// bundle, a plan that fails gridplan.Validate against the bundle (the
	// error lists every finding), or a bundle the published plan no longer
	// fits (unless WithdrawPlan); Conflict for a concurrent import.
	Import(ctx context.Context, req ImportRequest) (ImportResult, error)
}

// ErrImportRunning is the error of an import that found another one
// holding the store's import lock.
func ErrImportRunning() error {
	return errs.E(errs.Conflict, "import", "another import is running; try again when it has finished")
}

// CheckImport checks what can be checked of req without the store,
// before any transaction: the request's shape, the bundle (bundle.Check)
// and the plan's own fields (gridplan.Plan.Check).
func CheckImport(req ImportRequest) error {
	switch {
	case req.Bundle == nil && req.Plan == nil:
		return errs.E(errs.Invalid, "import", "nothing to import: give a bundle, a plan or both")
	case req.Publish && req.Plan == nil:
		return errs.E(errs.Invalid, "publish", "publishing needs a plan")
	}
	if req.Bundle != nil {
		if err := CheckBundle(req.Bundle); err != nil {
			return err
		}
	}
	if err := checkImportShifts(req); err != nil {
		return err
	}
	if req.Plan != nil {
		if err := req.Plan.Check(); err != nil {
			return err
		}
	}
	return nil
}

// ImportPlan is what a backend does inside the import transaction, decided
// by DecideImport from the request and the stored state.
type ImportPlan struct {
	// Withdraw is the published plan to archive (0: none).
	Withdraw gridplan.PlanID
	// Warnings are the new plan's validation warnings.
	Warnings []gridplan.Finding
}

// DecideImport validates req against the state the backend read under the
// import lock: stored is the stored bundle (nil when the store has none or
// req brings its own), published the published plan (nil when none). It
// rejects a plan that fails gridplan.Validate against the bundle in effect
// and a bundle the published plan no longer fits, unless req.WithdrawPlan
// (or req publishes a new plan, which replaces it).
func DecideImport(req ImportRequest, stored *bundle.Bundle, published *gridplan.Plan) (ImportPlan, error) {
	var d ImportPlan
	b := req.Bundle
	if b == nil {
		b = stored
	}
	if req.Plan != nil {
		if b == nil {
			return d, errs.E(errs.Invalid, "bundle", "the store has no district data: import a bundle with the plan")
		}
		fs := gridplan.Validate(req.Plan, b)
		if err := fs.Err(); err != nil {
			return d, err
		}
		d.Warnings = fs.Warnings()
	}
	if req.Bundle == nil || published == nil || (req.Plan != nil && req.Publish) {
		return d, nil
	}
	if err := gridplan.Validate(published, req.Bundle).Err(); err != nil {
		if !req.WithdrawPlan {
			return d, errs.Wrap(errs.Invalid, err, fmt.Sprintf(
				"the published plan %d no longer fits this bundle: import a plan with it and publish that, or withdraw the plan", published.ID))
		}
		d.Withdraw = published.ID
	}
	return d, nil
}

// Decide reads, through the backend's readers and under its import lock,
// what DecideImport needs (the stored bundle when req brings none, the
// published plan when req brings a bundle; NotFound reads as none) and
// decides.
func Decide(req ImportRequest, storedBundle func() (*bundle.Bundle, error), published func() (*gridplan.Plan, error)) (ImportPlan, error) {
	var b *bundle.Bundle
	if req.Bundle == nil {
		var err error
		if b, err = storedBundle(); err != nil && !errs.Is(err, errs.NotFound) {
			return ImportPlan{}, err
		}
	}
	var p *gridplan.Plan
	if req.Bundle != nil {
		var err error
		if p, err = published(); err != nil && !errs.Is(err, errs.NotFound) {
			return ImportPlan{}, err
		}
	}
	return DecideImport(req, b, p)
}
