package sqlstore

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlwhere"
)

// ShiftsDialect is what the roster's SQL says differently: how an upsert
// tells an insert from an update.
type ShiftsDialect interface {
	sqlwhere.Dialect
	TimeDialect
	// UpsertShift runs ShiftUpsertSQL for s and reports whether it
	// inserted.
	UpsertShift(ctx context.Context, tx sqlq.Tx, s bundle.Shift) (created bool, err error)
}

// ShiftInsertSQL inserts one shift ($1–$5, ShiftArgs).
const ShiftInsertSQL = `INSERT INTO shifts (id, subject, start_at, end_at, note) VALUES ($1, $2, $3, $4, $5)`

// ShiftUpsertSQL inserts or updates one shift ($1–$5, ShiftArgs).
const ShiftUpsertSQL = ShiftInsertSQL + `
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, start_at = excluded.start_at, end_at = excluded.end_at, note = excluded.note`

// ShiftArgs are s's values in the order of ShiftInsertSQL's columns.
func ShiftArgs(s bundle.Shift, d TimeDialect) []any {
	return []any{s.ID, s.Subject, d.Time(s.Start), d.Time(s.End), s.Note}
}

// ShiftStore is store.Shifts' operations over a backend's Runner in dialect D.
type ShiftStore struct {
	Run Runner
	D   ShiftsDialect
	// Replace writes a checked roster in place of the stored one, in one
	// write transaction of the backend's own (a bulk path of its driver).
	Replace func(ctx context.Context, shifts []bundle.Shift) error
}

// ReplaceShifts replaces the roster in one transaction.
func (s ShiftStore) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return err
	}
	return s.Replace(ctx, shifts)
}

// PutShift creates or replaces one shift.
func (s ShiftStore) PutShift(ctx context.Context, sh bundle.Shift) (bool, error) {
	sh, err := store.CheckShift(sh)
	if err != nil {
		return false, err
	}
	return write(ctx, s.Run, "shifts", func(tx sqlq.Tx) (bool, error) { return s.D.UpsertShift(ctx, tx, sh) })
}

// PutShifts creates or replaces shifts in one transaction and counts
// those it created.
func (s ShiftStore) PutShifts(ctx context.Context, shifts []bundle.Shift) (int, error) {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return 0, err
	}
	return write(ctx, s.Run, "shifts", func(tx sqlq.Tx) (int, error) {
		n := 0
		for _, sh := range shifts {
			created, err := s.D.UpsertShift(ctx, tx, sh)
			if err != nil {
				return 0, err
			}
			if created {
				n++
			}
		}
		return n, nil
	})
}

// DeleteShift deletes one shift (NotFound naming "id").
func (s ShiftStore) DeleteShift(ctx context.Context, id string) error {
	return s.Run.Write(ctx, "shifts", func(tx sqlq.Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM shifts WHERE id = $1`, id)
		if err == nil && n == 0 {
			return errs.E(errs.NotFound, "id", "no shift %q", id)
		}
		return err
	})
}

// Shifts lists shifts by filter.
func (s ShiftStore) Shifts(ctx context.Context, f store.ShiftFilter) ([]bundle.Shift, error) {
	w := sqlwhere.New(s.D)
	w.Eq("subject", f.Subject)
	if !f.From.IsZero() {
		w.Add("end_at > " + w.Arg(s.D.Time(f.From)))
	}
	if !f.To.IsZero() {
		w.Add("start_at < " + w.Arg(s.D.Time(f.To)))
	}
	out, err := read(ctx, s.Run, func(tx sqlq.Tx) ([]bundle.Shift, error) {
		return sqlq.Collect(ctx, tx, func(r sqlq.Row) (sh bundle.Shift, err error) {
			return sh, r.Scan(&sh.ID, &sh.Subject, s.D.ScanTime(&sh.Start), s.D.ScanTime(&sh.End), &sh.Note)
		}, `SELECT id, subject, start_at, end_at, note FROM shifts WHERE `+w.SQL()+` ORDER BY start_at, subject, id`, w.Args...)
	})
	if out == nil && err == nil {
		out = []bundle.Shift{}
	}
	return out, err
}
