package sqlq

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Pgx is the Tx of a pgx transaction (or of anything that runs pgx
// statements: a pool, a connection).
func Pgx(tx PgxQuerier) Tx { return pgxTx{tx} }

// PgxQuerier is what pgx.Tx, *pgxpool.Pool and *pgx.Conn share.
type PgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type pgxTx struct{ tx PgxQuerier }

func (t pgxTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	return t.tx.Query(ctx, q, args...)
}

func (t pgxTx) QueryRow(ctx context.Context, q string, args ...any) Row {
	return pgxRow{t.tx.QueryRow(ctx, q, args...)}
}

func (t pgxTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

type pgxRow struct{ r pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w (%w)", ErrNoRows, err)
	}
	return err
}
