package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// sqlRunner runs sqlstore's operations in this store's transactions,
// errors classified by wrapErr.
type sqlRunner struct{ db *DB }

var _ sqlstore.Runner = sqlRunner{}

func (r sqlRunner) Read(ctx context.Context, fn func(sqlq.Tx) error) error {
	return r.db.read(ctx, func(tx pgx.Tx) error { return fn(sqlq.Pgx(tx)) })
}

func (r sqlRunner) Write(ctx context.Context, what string, fn func(sqlq.Tx) error) error {
	return r.db.write(ctx, what, func(tx pgx.Tx) error { return fn(sqlq.Pgx(tx)) })
}

// Once runs fn's statements on the pool, each on its own: no BEGIN and
// COMMIT round trips.
func (r sqlRunner) Once(ctx context.Context, fn func(sqlq.Tx) error) error {
	return wrapErr(ctx, fn(sqlq.Pgx(r.db.pool)))
}
