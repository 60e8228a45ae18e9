package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Shifts = (*DB)(nil)

// shiftsDialect is the PostgreSQL dialect of the roster's SQL.
type shiftsDialect struct{ whereDialect }

// UpsertShift tells an insert by xmax = 0 on the returned row, in the
// one statement.
func (shiftsDialect) UpsertShift(ctx context.Context, tx sqlq.Tx, s bundle.Shift) (bool, error) {
	var created bool
	err := tx.QueryRow(ctx, sqlstore.ShiftUpsertSQL+` RETURNING xmax = 0`, sqlstore.ShiftArgs(s, whereDialect{})...).Scan(&created)
	return created, err
}

func (db *DB) shifts() sqlstore.ShiftStore {
	return sqlstore.ShiftStore{Run: sqlRunner{db}, D: shiftsDialect{},
		Replace: func(ctx context.Context, shifts []bundle.Shift) error {
			return db.write(ctx, "shifts", func(tx pgx.Tx) error { return replaceShiftsTx(ctx, tx, shifts) })
		}}
}

// replaceShiftsTx replaces the roster inside tx (shifts are checked): COPY
// of the new rows after deleting the old.
func replaceShiftsTx(ctx context.Context, tx pgx.Tx, shifts []bundle.Shift) error {
	if _, err := tx.Exec(ctx, `DELETE FROM shifts`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"shifts"}, []string{"id", "subject", "start_at", "end_at", "note"},
		pgx.CopyFromSlice(len(shifts), func(i int) ([]any, error) {
			return sqlstore.ShiftArgs(shifts[i], whereDialect{}), nil
		}))
	return err
}
