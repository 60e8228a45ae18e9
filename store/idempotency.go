package store

import (
	"context"
	"errors"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
)

// KeyedAnswer is the first answer to a request sent with an idempotency
// key (the Idempotency-Key header of POST /plans/{id}/edits), kept with
// the plan so that a retry gets it again instead of applying the request
// twice.
type KeyedAnswer struct {
	Key string
	// Route names the request kind the key was used for ("edits").
	Route string
	// RequestSHA256 is the hex SHA-256 of the request body: a retry with
	// the same key and another body is refused.
	RequestSHA256 string
	// Status and Body are the answer (an HTTP status and JSON body).
	Status    int
	Body      []byte
	CreatedAt time.Time
}

// ErrKeyReused is the cause of the Invalid error answering a key sent
// again with another request body.
var ErrKeyReused = errors.New("idempotency key reused with another request")

// MaxIdemKeyBytes bounds an idempotency key.
const MaxIdemKeyBytes = jobs.MaxKeyBytes

// Validate reports an empty or too long key or one of bytes other than
// printable ASCII, a missing route, hash or body and a status outside
// 100..599, as Invalid naming the field.
func (a *KeyedAnswer) Validate() error {
	if err := CheckIdemKey(a.Key); err != nil {
		return err
	}
	switch {
	case a.Route == "" || len(a.Route) > 40:
		return errs.E(errs.Invalid, "route", "a keyed answer needs a route of 1 to 40 bytes")
	case len(a.RequestSHA256) != 64:
		return errs.E(errs.Invalid, "request_sha256", "want a hex SHA-256 (64 characters), got %d characters", len(a.RequestSHA256))
	case a.Status < 100 || a.Status > 599:
		return errs.E(errs.Invalid, "status", "%d is not an HTTP status", a.Status)
	case a.CreatedAt.IsZero():
		return errs.E(errs.Invalid, "created", "a keyed answer needs its time")
	}
	return nil
}

// CheckIdemKey reports a key that is empty, longer than MaxIdemKeyBytes or
// holds anything but printable ASCII (Invalid naming "Idempotency-Key"):
// the one rule of keys, jobs.CheckKey.
func CheckIdemKey(k string) error { return jobs.CheckKey(k, false) }

// Idempotency keeps keyed answers with plans (migration 086); they go when
// their plan goes.
type Idempotency interface {
	// KeyedAnswer returns the answer stored under key for plan id
	// (NotFound when there is none).
	KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*KeyedAnswer, error)
	// EditGridsKeyed is EditGrids (EditGridsUnits when units is not nil)
	// that stores a under a.Key for plan id in the same transaction: all
	// or nothing. Conflict, nothing written, when the key is stored for the
	// plan already (a concurrent retry came first) or EditGrids would
	// answer Conflict; Invalid for an a that fails Validate.
	EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a KeyedAnswer) error
	// CreateDraftKeyed is CreateDraft that stores answer(the draft's id)
	// under its key for plan from, in the same transaction: all or
	// nothing. Conflict, nothing written, when plan from has an answer
	// under the key already; NotFound when there is no plan from; the
	// error of answer, or Invalid for an answer that fails Validate,
	// nothing written.
	CreateDraftKeyed(ctx context.Context, from gridplan.PlanID, name string, answer func(gridplan.PlanID) (KeyedAnswer, error)) (gridplan.PlanID, error)
}

// CheckPlanEdit checks what an edit writes besides its grids: the units
// (gridplan.CheckUnits) and the keyed answer, each when given.
func CheckPlanEdit(units *gridplan.UnitsEdit, a *KeyedAnswer) error {
	if a != nil {
		if err := a.Validate(); err != nil {
			return err
		}
	}
	if units != nil {
		return gridplan.CheckUnits(units.Units, units.Grids)
	}
	return nil
}
