package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// sqlRunner runs sqlstore's operations in this store's transactions (the
// writer connection for writes, a reader for reads), errors classified by
// wrapErr.
type sqlRunner struct{ db *DB }

var _ sqlstore.Runner = sqlRunner{}

func (r sqlRunner) Read(ctx context.Context, fn func(sqlq.Tx) error) error {
	return r.db.read(ctx, func(tx *sql.Tx) error { return fn(sqlq.Std(tx)) })
}

func (r sqlRunner) Write(ctx context.Context, what string, fn func(sqlq.Tx) error) error {
	return r.db.write(ctx, what, func(tx *sql.Tx) error { return fn(sqlq.Std(tx)) })
}

// Once is Read: a read transaction on a local file costs next to nothing.
func (r sqlRunner) Once(ctx context.Context, fn func(sqlq.Tx) error) error { return r.Read(ctx, fn) }
