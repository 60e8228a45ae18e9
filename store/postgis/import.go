package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// importLock serialises imports (pg advisory lock key: "import" in ASCII).
const importLock = 0x696d706f7274

// ImportLockWait is how long an import waits for another to finish before
// it fails with "another import is running".
const ImportLockWait = 2 * time.Minute

// Import applies req in one transaction under the import lock (see
// store.Importer): the bundle's tables are replaced with COPY, the plan
// is validated against the bundle in effect and stored, and published,
// all or nothing.
func (db *DB) Import(ctx context.Context, req store.ImportRequest) (store.ImportResult, error) {
	var res store.ImportResult
	if err := store.CheckImport(req); err != nil {
		return res, err
	}
	var enc store.EncodedPlan
	if req.Plan != nil {
		var err error
		if enc, err = store.EncodePlan(req.Plan, geomBytes); err != nil {
			return res, err
		}
	}
	var bc *bundleCopy
	if req.Bundle != nil {
		bc = newBundleCopy(req.Bundle)
	}
	err := db.write(ctx, "import", func(tx pgx.Tx) error {
		res = store.ImportResult{}
		if err := db.lockImport(ctx, tx); err != nil {
			return err
		}
		d, err := decideImport(ctx, tx, req)
		if err != nil {
			return err
		}
		res.Warnings = d.Warnings
		db.hook("decided")
		if bc != nil {
			if err := bc.replace(ctx, tx); err != nil {
				return err
			}
			db.hook("bundle")
		}
		if req.ReplaceShifts {
			if err := replaceShiftsTx(ctx, tx, req.Shifts); err != nil {
				return err
			}
		}
		if d.Withdraw != 0 {
			if _, err := tx.Exec(ctx, `UPDATE plans SET status = 'archived' WHERE id = $1`, int64(d.Withdraw)); err != nil {
				return err
			}
			res.Withdrawn = d.Withdraw
		}
		if req.Plan == nil {
			return nil
		}
		if res.Plan, err = insertPlan(ctx, db.now(), tx, req.Plan, enc); err != nil {
			return err
		}
		db.hook("plan")
		if req.Publish {
			if err := publish(ctx, db.now(), tx, res.Plan); err != nil {
				return err
			}
			res.Published = true
			db.hook("publish")
		}
		return nil
	})
	if err != nil {
		return store.ImportResult{}, err
	}
	return res, nil
}

// lockImport takes the import lock for tx, waiting up to ImportLockWait
// (and no longer than ctx) for another import to finish.
func (db *DB) lockImport(ctx context.Context, tx pgx.Tx) error {
	deadline := time.Now().Add(ImportLockWait)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(importLock)).Scan(&got); err != nil {
			return err
		}
		if got {
			return nil
		}
		if time.Now().After(deadline) {
			return store.ErrImportRunning()
		}
		select {
		case <-ctx.Done():
			return errs.Wrap(errs.Conflict, ctx.Err(), "another import is running; gave up waiting for it")
		case <-time.After(wait):
		}
	}
}

// decideImport reads, under the import lock, what the decision needs.
func decideImport(ctx context.Context, tx pgx.Tx, req store.ImportRequest) (store.ImportPlan, error) {
	return store.Decide(req,
		func() (*bundle.Bundle, error) { return readBundle(ctx, tx) },
		func() (*gridplan.Plan, error) {
			return readPlan(ctx, tx, `SELECT `+planCols+` FROM plans WHERE status = 'published'`)
		})
}
