package sqlstore

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// KeyedAnswer reads a keyed answer (migration 086; NotFound naming
// "Idempotency-Key").
func (s *PlanStore) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	a := &store.KeyedAnswer{Key: key}
	err := s.b.ReadPlans(ctx, func(tx PlansTx) error {
		ok, err := sqlq.Found(tx.QueryRow(ctx, `SELECT route, request_sha256, status, body, created_at FROM plan_request_keys
			WHERE plan_id = $1 AND key = $2`, int64(id), key).Scan(&a.Route, &a.RequestSHA256, &a.Status, &a.Body, tx.ScanTime(&a.CreatedAt)))
		if err == nil && !ok {
			return errs.E(errs.NotFound, "Idempotency-Key", "plan %d has no answer under this key", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// EditGridsKeyed is EditGrids (EditGridsUnits when units is not nil)
// storing a under its key in the same transaction (EditPlan). The edit
// locks the plan, so two writers of one key queue and the second finds
// the first's answer.
func (s *PlanStore) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	return s.EditPlan(ctx, id, put, removed, base, units, &a)
}

// InsertKeyedAnswer stores a under its key in tx: Conflict when the plan
// has an answer under the key already.
func InsertKeyedAnswer(ctx context.Context, tx sqlq.Tx, d TimeDialect, id gridplan.PlanID, a store.KeyedAnswer) error {
	n, err := tx.Exec(ctx, `INSERT INTO plan_request_keys (plan_id, key, route, request_sha256, status, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan_id, key) DO NOTHING`,
		int64(id), a.Key, a.Route, a.RequestSHA256, a.Status, a.Body, d.Time(a.CreatedAt))
	if err == nil && n == 0 {
		return errs.E(errs.Conflict, "Idempotency-Key", "plan %d has an answer under this key already", id)
	}
	return err
}

// StoreAnswer stores answer(id), checked, under its key for plan from in
// tx (InsertKeyedAnswer).
func StoreAnswer(ctx context.Context, tx sqlq.Tx, d TimeDialect, from, id gridplan.PlanID, answer func(gridplan.PlanID) (store.KeyedAnswer, error)) error {
	a, err := answer(id)
	if err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	return InsertKeyedAnswer(ctx, tx, d, from, a)
}
