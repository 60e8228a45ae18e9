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
	if err := a.Validate(); err != nil {
		return err
	}
	if units != nil {
		if err := gridplan.CheckUnits(units.Units, units.Grids); err != nil {
			return err
		}
	}
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "edit", Status: gridplan.Draft, Grids: put}, geomBytes)
	if err != nil {
		return err
	}
	return db.write(ctx, "edit grids", func(tx pgx.Tx) error {
		if err := editGrids(ctx, tx, id, put, removed, base, e); err != nil {
			return err
		}
		if units != nil {
			if err := replaceUnits(ctx, tx, id, *units); err != nil {
				return err
			}
		}
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
	})
}
