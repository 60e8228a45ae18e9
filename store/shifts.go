package store

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// ShiftFilter selects shifts: of one subject (all when empty) that
// overlap [From, To) (an unset bound is open).
type ShiftFilter struct {
	Subject  string
	From, To time.Time
}

// Shifts is the duty roster (issue 13): shifts of units and duty posts.
// The store checks each shift on its own (bundle.Shift.Validate); whether
// a subject names a unit or post of the bundle is the caller's check
// (bundle.CheckShifts), so a roster survives a bundle re-import.
type Shifts interface {
	// ReplaceShifts replaces the whole roster with shifts in one
	// transaction. Invalid (naming "[i].field") for a shift that fails
	// Validate or a duplicate id; the stored roster is then unchanged.
	ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error
	// PutShift creates the shift with s.ID or replaces it; created says
	// which. A retry of the same put stores the same row.
	PutShift(ctx context.Context, s bundle.Shift) (created bool, err error)
	// PutShifts is PutShift of each shift, all in one transaction (Invalid
	// naming "[i].field" changes nothing); created counts the new ids.
	PutShifts(ctx context.Context, shifts []bundle.Shift) (created int, err error)
	// DeleteShift deletes one shift (NotFound when there is none).
	DeleteShift(ctx context.Context, id string) error
	// Shifts lists the shifts f selects, ordered by start, subject, id.
	Shifts(ctx context.Context, f ShiftFilter) ([]bundle.Shift, error)
}

// CheckShiftList normalises shifts (bundle.Shift.Normal) and checks each
// and the uniqueness of ids, naming the field "[i].field".
func CheckShiftList(shifts []bundle.Shift) ([]bundle.Shift, error) {
	out := make([]bundle.Shift, len(shifts))
	seen := make(map[string]int, len(shifts))
	for i, s := range shifts {
		s = s.Normal()
		if err := s.Validate(); err != nil {
			return nil, indexErr(i, err)
		}
		if j, dup := seen[s.ID]; dup {
			return nil, errs.E(errs.Invalid, fmt.Sprintf("[%d].id", i), "duplicate id %q (also [%d])", s.ID, j)
		}
		seen[s.ID] = i
		out[i] = s
	}
	return out, nil
}

// CheckShift normalises and checks one shift.
func CheckShift(s bundle.Shift) (bundle.Shift, error) {
	s = s.Normal()
	return s, s.Validate()
}

// checkImportShifts checks an import's roster against its bundle and
// normalises it in place.
func checkImportShifts(req ImportRequest) error {
	if !req.ReplaceShifts {
		if len(req.Shifts) > 0 {
			return errs.E(errs.Invalid, "shifts", "shifts given without ReplaceShifts")
		}
		return nil
	}
	if req.Bundle == nil {
		return errs.E(errs.Invalid, "shifts", "a roster is imported with its bundle")
	}
	for i := range req.Shifts {
		req.Shifts[i] = req.Shifts[i].Normal()
	}
	return bundle.CheckShifts(req.Bundle, req.Shifts).Err()
}

func indexErr(i int, err error) error {
	if e, ok := errs.As(err); ok {
		return errs.E(e.Code, fmt.Sprintf("[%d].%s", i, e.Field), "%s", e.Msg)
	}
	return err
}
