package sqlq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Std is the Tx of a database/sql transaction on SQLite (or of anything
// that runs its statements: a *sql.DB, a *sql.Conn): placeholders $n are
// rewritten to ?n (cached per statement text).
func Std(tx StdQuerier) Tx { return stdTx{tx} }

// StdQuerier is what *sql.Tx, *sql.DB and *sql.Conn share.
type StdQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

type stdTx struct{ tx StdQuerier }

func (t stdTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := t.tx.QueryContext(ctx, Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return stdRows{rows}, nil
}

func (t stdTx) QueryRow(ctx context.Context, q string, args ...any) Row {
	return stdRow{t.tx.QueryRowContext(ctx, Rebind(q), args...)}
}

func (t stdTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, Rebind(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type stdRows struct{ *sql.Rows }

func (r stdRows) Close() { _ = r.Rows.Close() }

type stdRow struct{ r *sql.Row }

func (r stdRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w (%w)", ErrNoRows, err)
	}
	return err
}

// Rebind rewrites PostgreSQL placeholders $n to SQLite's ?n, leaving any
// "$" inside '…' or "…" untouched. A "$" not followed by a digit is kept.
// It is one pass over the text and keeps no cache: statement texts built
// from filters (CQL2) are as many as callers make.
func Rebind(q string) string {
	if !strings.Contains(q, "$") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	var quote byte // the open quote, 0 outside one
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}
