package gpkg

import (
	"context"
	"database/sql"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

var _ store.Shifts = (*DB)(nil)

// ReplaceShifts replaces the roster in one transaction.
func (db *DB) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return err
	}
	return db.write(ctx, "shifts", func(tx *sql.Tx) error { return replaceShiftsTx(ctx, tx, shifts) })
}

// replaceShiftsTx replaces the roster inside tx (shifts are checked).
func replaceShiftsTx(ctx context.Context, tx *sql.Tx, shifts []bundle.Shift) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM shifts`); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO shifts (id, subject, start_at, end_at, note) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, s := range shifts {
		if _, err := stmt.ExecContext(ctx, s.ID, s.Subject, fmtTime(s.Start), fmtTime(s.End), s.Note); err != nil {
			return err
		}
	}
	return nil
}

// PutShift creates or replaces one shift.
func (db *DB) PutShift(ctx context.Context, s bundle.Shift) (bool, error) {
	s, err := store.CheckShift(s)
	if err != nil {
		return false, err
	}
	var created bool
	err = db.write(ctx, "shifts", func(tx *sql.Tx) (err error) {
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
	err = db.write(ctx, "shifts", func(tx *sql.Tx) error {
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

func upsertShift(ctx context.Context, tx *sql.Tx, s bundle.Shift) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shifts WHERE id = ?`, s.ID).Scan(&n); err != nil {
		return false, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO shifts (id, subject, start_at, end_at, note) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, start_at = excluded.start_at, end_at = excluded.end_at, note = excluded.note`,
		s.ID, s.Subject, fmtTime(s.Start), fmtTime(s.End), s.Note)
	return n == 0, err
}

// DeleteShift deletes one shift.
func (db *DB) DeleteShift(ctx context.Context, id string) error {
	return db.write(ctx, "shifts", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM shifts WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errs.E(errs.NotFound, "id", "no shift %q", id)
		}
		return nil
	})
}

// Shifts lists shifts by filter.
func (db *DB) Shifts(ctx context.Context, f store.ShiftFilter) ([]bundle.Shift, error) {
	var where []string
	var args []any
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	if !f.From.IsZero() {
		where, args = append(where, "end_at > ?"), append(args, fmtTime(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "start_at < ?"), append(args, fmtTime(f.To))
	}
	q := `SELECT id, subject, start_at, end_at, note FROM shifts`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_at, subject, id"
	out := []bundle.Shift{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s bundle.Shift
			var start, end string
			if err := rows.Scan(&s.ID, &s.Subject, &start, &end, &s.Note); err != nil {
				return err
			}
			if s.Start, err = parseTime(start); err != nil {
				return err
			}
			if s.End, err = parseTime(end); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}
