package postgis

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

var _ store.Idempotency = (*DB)(nil)

// KeyedAnswer reads a keyed answer (migration 086).
func (db *DB) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	a := &store.KeyedAnswer{Key: key}
	var status int32
	err := db.pool.QueryRow(ctx, `SELECT route, request_sha256, status, body, created_at FROM plan_request_keys WHERE plan_id = $1 AND key = $2`,
		int64(id), key).Scan(&a.Route, &a.RequestSHA256, &status, &a.Body, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "Idempotency-Key", "plan %d has no answer under this key", id)
	}
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	a.Status, a.CreatedAt = int(status), a.CreatedAt.UTC()
	return a, nil
}

// EditGridsKeyed is EditGrids storing a in the same transaction (the
// plan's row is locked by the edit, so two writers of one key queue and
// the second finds the first's row).
func (db *DB) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	return db.editPlan(ctx, id, put, removed, base, units, &a)
}

// insertKeyedAnswer stores a under its key in tx: Conflict when the plan
// has an answer under the key already.
func insertKeyedAnswer(ctx context.Context, tx pgx.Tx, id gridplan.PlanID, a store.KeyedAnswer) error {
	tag, err := tx.Exec(ctx, `INSERT INTO plan_request_keys (plan_id, key, route, request_sha256, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, key) DO NOTHING`,
		int64(id), a.Key, a.Route, a.RequestSHA256, int32(a.Status), a.Body, a.CreatedAt.UTC())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.Conflict, "Idempotency-Key", "plan %d has an answer under this key already", id)
	}
	return nil
}

// storeAnswer stores answer(id) under its key for plan from in tx.
func storeAnswer(ctx context.Context, tx pgx.Tx, from, id gridplan.PlanID, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) error {
	a, err := answer(id)
	if err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	return insertKeyedAnswer(ctx, tx, from, a)
}
