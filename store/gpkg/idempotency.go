package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Idempotency = (*DB)(nil)

// KeyedAnswer reads a keyed answer (migration 086).
func (db *DB) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	return sqlstore.KeyedAnswer(ctx, sqlRunner{db}, whereDialect{}, id, key)
}

// EditGridsKeyed is EditGrids storing a in the same transaction.
func (db *DB) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	return db.editPlan(ctx, id, put, removed, base, units, &a)
}

// insertKeyedAnswer stores a under its key in tx: Conflict when the plan
// has an answer under the key already.
func insertKeyedAnswer(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, a store.KeyedAnswer) error {
	return sqlstore.InsertKeyedAnswer(ctx, sqlq.Std(tx), whereDialect{}, id, a)
}

// storeAnswer stores answer(id) under its key for plan from in tx.
func storeAnswer(ctx context.Context, tx *sql.Tx, from, id gridplan.PlanID, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) error {
	return sqlstore.StoreAnswer(ctx, sqlq.Std(tx), whereDialect{}, from, id, answer)
}
