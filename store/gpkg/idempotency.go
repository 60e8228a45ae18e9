package gpkg

import (
	"context"
	"database/sql"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

var _ store.Idempotency = (*DB)(nil)

// KeyedAnswer reads a keyed answer (migration 086).
func (db *DB) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	a := &store.KeyedAnswer{Key: key}
	err := db.read(ctx, func(tx *sql.Tx) error {
		var at string
		err := tx.QueryRowContext(ctx, `SELECT route, request_sha256, status, body, created_at FROM plan_request_keys WHERE plan_id = ? AND key = ?`,
			int64(id), key).Scan(&a.Route, &a.RequestSHA256, &a.Status, &a.Body, &at)
		if err == sql.ErrNoRows {
			return errs.E(errs.NotFound, "Idempotency-Key", "plan %d has no answer under this key", id)
		}
		if err != nil {
			return err
		}
		a.CreatedAt, err = parseTime(at)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// EditGridsKeyed is EditGrids storing a in the same transaction.
func (db *DB) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	return db.editPlan(ctx, id, put, removed, base, units, &a)
}

// insertKeyedAnswer stores a under its key in tx: Conflict when the plan
// has an answer under the key already.
func insertKeyedAnswer(ctx context.Context, tx *sql.Tx, id gridplan.PlanID, a store.KeyedAnswer) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM plan_request_keys WHERE plan_id = ? AND key = ?`, int64(id), a.Key).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.E(errs.Conflict, "Idempotency-Key", "plan %d has an answer under this key already", id)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO plan_request_keys (plan_id, key, route, request_sha256, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		int64(id), a.Key, a.Route, a.RequestSHA256, a.Status, a.Body, fmtTime(a.CreatedAt))
	return err
}

// storeAnswer stores answer(id) under its key for plan from in tx.
func storeAnswer(ctx context.Context, tx *sql.Tx, from, id gridplan.PlanID, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) error {
	a, err := answer(id)
	if err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	return insertKeyedAnswer(ctx, tx, from, a)
}
