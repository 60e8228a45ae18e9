package store

import (
	"context"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// ErrNotDraft is the error of a change only a draft allows.
func ErrNotDraft(id gridplan.PlanID, st gridplan.Status) error {
	return errs.E(errs.Conflict, "plan", "plan %d is %s; only a draft can be changed (POST /plans/%d/drafts copies it into one)", id, st, id)
}

// FindingsError is a plan refused because its validation found errors: an
// Invalid or Conflict error listing every finding, errors and warnings.
type FindingsError struct {
	Err      error // the errs.Error (its code says how to answer)
	Findings gridplan.Findings
}

func (e *FindingsError) Error() string { return e.Err.Error() }
func (e *FindingsError) Unwrap() error { return e.Err }

// ProblemExtra lists the findings in the problem document.
func (e *FindingsError) ProblemExtra() map[string]any {
	return map[string]any{"errors": nonNil(e.Findings.Errors()), "warnings": nonNil(e.Findings.Warnings())}
}

func nonNil(fs gridplan.Findings) gridplan.Findings {
	if fs == nil {
		return gridplan.Findings{}
	}
	return fs
}

// ValidatePlan validates the stored plan id against the stored bundle.
func ValidatePlan(ctx context.Context, s Store, id gridplan.PlanID) (*gridplan.Plan, gridplan.Findings, error) {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Bundle(ctx)
	if err != nil {
		return nil, nil, err
	}
	return p, gridplan.Validate(p, b), nil
}

// Publish validates plan id against the stored bundle and publishes it
// (a draft, or an archived plan: a rollback) in one transaction, archiving
// the plan published before. A plan with validation errors is refused
// with a Conflict FindingsError and nothing changes. It returns the
// findings (warnings only, when it published).
func Publish(ctx context.Context, s Store, id gridplan.PlanID) (gridplan.Findings, error) {
	_, fs, err := ValidatePlan(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if n := len(fs.Errors()); n > 0 {
		return fs, &FindingsError{Findings: fs,
			Err: errs.E(errs.Conflict, "plan", "plan %d fails validation with %d error(s); it cannot be published", id, n)}
	}
	return fs, s.PublishPlan(ctx, id)
}

// PreviousPlan is the plan a rollback publishes again: the archived plan
// published most recently. NotFound when no plan was published before.
func PreviousPlan(plans []gridplan.Summary) (gridplan.PlanID, error) {
	var best gridplan.Summary
	for _, p := range plans {
		if p.Status == gridplan.Archived && !p.PublishedAt.IsZero() && (p.PublishedAt.After(best.PublishedAt) || p.PublishedAt.Equal(best.PublishedAt) && p.ID > best.ID) {
			best = p
		}
	}
	if best.ID == 0 {
		return 0, errs.E(errs.NotFound, "plan", "no plan was published before the current one; nothing to roll back to")
	}
	return best.ID, nil
}
