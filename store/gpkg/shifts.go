package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Shifts = (*DB)(nil)

// shiftsDialect is the SQLite dialect of the roster's SQL.
type shiftsDialect struct{ whereDialect }

// UpsertShift looks for the shift first: the one writer connection
// serialises writes, so nothing comes between.
func (shiftsDialect) UpsertShift(ctx context.Context, tx sqlq.Tx, s bundle.Shift) (bool, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM shifts WHERE id = $1`, s.ID).Scan(&n); err != nil {
		return false, err
	}
	_, err := tx.Exec(ctx, sqlstore.ShiftUpsertSQL, sqlstore.ShiftArgs(s, whereDialect{})...)
	return n == 0, err
}

func (db *DB) shifts() sqlstore.ShiftStore {
	return sqlstore.ShiftStore{Run: sqlRunner{db}, D: shiftsDialect{},
		Replace: func(ctx context.Context, shifts []bundle.Shift) error {
			return db.write(ctx, "shifts", func(tx *sql.Tx) error { return replaceShiftsTx(ctx, tx, shifts) })
		}}
}

// replaceShiftsTx replaces the roster inside tx (shifts are checked), one
// prepared insert a shift.
func replaceShiftsTx(ctx context.Context, tx *sql.Tx, shifts []bundle.Shift) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM shifts`); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, sqlq.Rebind(sqlstore.ShiftInsertSQL))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, s := range shifts {
		if _, err := stmt.ExecContext(ctx, sqlstore.ShiftArgs(s, whereDialect{})...); err != nil {
			return err
		}
	}
	return nil
}
