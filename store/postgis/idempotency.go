package postgis

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Idempotency = (*DB)(nil)

// KeyedAnswer reads a keyed answer (migration 086).
func (db *DB) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	return sqlstore.KeyedAnswer(ctx, sqlRunner{db}, whereDialect{}, id, key)
}

// EditGridsKeyed is EditGrids storing a in the same transaction (the
// plan's row is locked by the edit, so two writers of one key queue and
// the second finds the first's row).
func (db *DB) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	return db.editPlan(ctx, id, put, removed, base, units, &a)
}
