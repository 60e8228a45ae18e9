// Package sqlq is the seam between the SQL store backends' shared code and
// their drivers. The GeoPackage runs database/sql over SQLite and PostGIS
// runs pgx; both are seen here as one small Tx (Query, QueryRow, Exec), so
// that what a statement means and how its rows become domain values is
// written once, and each backend supplies only its dialect.
//
// Statements are written with PostgreSQL's numbered placeholders ($1, $2,
// …). The database/sql adapter rewrites them to SQLite's ?1, ?2, … (a "$"
// inside a quoted literal or identifier is left alone), so one text serves
// both backends wherever their SQL agrees.
//
// A QueryRow that finds no row answers an error that is both ErrNoRows and
// the driver's own (sql.ErrNoRows, pgx.ErrNoRows).
package sqlq

import (
	"context"
	"errors"
)

// ErrNoRows is what Row.Scan answers (wrapped with the driver's own) when
// the query returned no row.
var ErrNoRows = errors.New("no rows in result set")

// Rows is a result being read, as both drivers' rows are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is one row, or the error of getting it.
type Row interface {
	Scan(dest ...any) error
}

// Tx runs statements in one transaction.
type Tx interface {
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
	// Exec runs a statement and answers how many rows it changed.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
}

// Collect runs q and makes a value of each row with scan, in order. A
// query without rows answers nil and no error.
func Collect[T any](ctx context.Context, tx Tx, scan func(Row) (T, error), q string, args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, tx, func(r Row) error {
		v, err := scan(r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, q, args...)
	return out, err
}

// Each runs q and calls fn on each row in order; the first error stops it.
func Each(ctx context.Context, tx Tx, fn func(Row) error, q string, args ...any) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Found reports whether err is the no-row answer of a QueryRow, and
// answers (false, err) for any other error, (true, nil) for none: a
// lookup reads `ok, err := sqlq.Found(row.Scan(...))`.
func Found(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNoRows):
		return false, nil
	default:
		return false, err
	}
}
