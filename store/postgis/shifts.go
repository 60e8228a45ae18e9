package postgis

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

var _ store.Shifts = (*DB)(nil)

// ReplaceShifts replaces the roster in one transaction (COPY of the new
// rows after deleting the old).
func (db *DB) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return err
	}
	return db.write(ctx, "shifts", func(tx pgx.Tx) error { return replaceShiftsTx(ctx, tx, shifts) })
}

// replaceShiftsTx replaces the roster inside tx (shifts are checked).
func replaceShiftsTx(ctx context.Context, tx pgx.Tx, shifts []bundle.Shift) error {
	if _, err := tx.Exec(ctx, `DELETE FROM shifts`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"shifts"}, []string{"id", "subject", "start_at", "end_at", "note"},
		pgx.CopyFromSlice(len(shifts), func(i int) ([]any, error) {
			s := shifts[i]
			return []any{s.ID, s.Subject, s.Start, s.End, s.Note}, nil
		}))
	return err
}

// PutShift creates or replaces one shift.
func (db *DB) PutShift(ctx context.Context, s bundle.Shift) (bool, error) {
	s, err := store.CheckShift(s)
	if err != nil {
		return false, err
	}
	var created bool
	err = db.write(ctx, "shifts", func(tx pgx.Tx) (err error) {
		created, err = upsertShift(ctx, tx, s)
		return err
	})
	return created, err
}

// PutShifts creates or replaces shifts in one transaction.
func (db *DB) PutShifts(ctx context.Context, shifts []bundle.Shift) (int, error) {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.write(ctx, "shifts", func(tx pgx.Tx) error {
		n = 0
		for _, s := range shifts {
			c, err := upsertShift(ctx, tx, s)
			if err != nil {
				return err
			}
			if c {
				n++
			}
		}
		return nil
	})
	return n, err
}

// upsertShift inserts or updates s; xmax = 0 on the returned row says it
// was inserted.
func upsertShift(ctx context.Context, tx pgx.Tx, s bundle.Shift) (bool, error) {
	var created bool
	err := tx.QueryRow(ctx, `INSERT INTO shifts (id, subject, start_at, end_at, note) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, start_at = excluded.start_at, end_at = excluded.end_at, note = excluded.note
		RETURNING xmax = 0`, s.ID, s.Subject, s.Start, s.End, s.Note).Scan(&created)
	return created, err
}

// DeleteShift deletes one shift.
func (db *DB) DeleteShift(ctx context.Context, id string) error {
	return db.write(ctx, "shifts", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM shifts WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.NotFound, "id", "no shift %q", id)
		}
		return nil
	})
}

// Shifts lists shifts by filter.
func (db *DB) Shifts(ctx context.Context, f store.ShiftFilter) ([]bundle.Shift, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Subject != "" {
		where = append(where, "subject = "+arg(f.Subject))
	}
	if !f.From.IsZero() {
		where = append(where, "end_at > "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "start_at < "+arg(f.To))
	}
	q := `SELECT id, subject, start_at, end_at, note FROM shifts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_at, subject, id"
	out := []bundle.Shift{}
	err := db.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s bundle.Shift
			if err := rows.Scan(&s.ID, &s.Subject, &s.Start, &s.End, &s.Note); err != nil {
				return err
			}
			s.Start, s.End = s.Start.UTC(), s.End.UTC()
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}
