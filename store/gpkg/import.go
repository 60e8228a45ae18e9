package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// ImportLockWait is how long an import waits for another writer of the
// file (another process's import) before it fails with "another import is
// running".
const ImportLockWait = 2 * time.Minute

// Import applies req in one transaction (see store.Importer). The
// transaction begins IMMEDIATE, taking the file's write lock, which
// serialises imports across processes: an import waits for the lock up to
// ImportLockWait. The plan is validated against the bundle in effect, read
// under that lock.
func (db *DB) Import(ctx context.Context, req store.ImportRequest) (store.ImportResult, error) {
	var res store.ImportResult
	if err := store.CheckImport(req); err != nil {
		return res, err
	}
	var enc store.EncodedPlan
	if req.Plan != nil {
		var err error
		if enc, err = store.EncodePlan(req.Plan, encodeGeom); err != nil {
			return res, err
		}
	}
	deadline := time.Now().Add(ImportLockWait)
	for {
		err := db.write(ctx, "import", func(tx *sql.Tx) error {
			res = store.ImportResult{}
			return db.importTx(ctx, tx, req, enc, &res)
		})
		switch {
		case err == nil:
			return res, nil
		case !busy(err):
			return store.ImportResult{}, err
		case time.Now().After(deadline):
			return store.ImportResult{}, store.ErrImportRunning()
		}
		select {
		case <-ctx.Done():
			return store.ImportResult{}, errs.Wrap(errs.Conflict, ctx.Err(), "another import is running; gave up waiting for it")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (db *DB) importTx(ctx context.Context, tx *sql.Tx, req store.ImportRequest, enc store.EncodedPlan, res *store.ImportResult) error {
	d, err := decideImport(ctx, tx, req)
	if err != nil {
		return err
	}
	res.Warnings = d.Warnings
	db.hook("decided")
	if req.Bundle != nil {
		if err := replaceBundle(ctx, tx, req.Bundle); err != nil {
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
		if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = 'archived' WHERE id = ?`, int64(d.Withdraw)); err != nil {
			return err
		}
		if err := refreshGrids(ctx, tx); err != nil {
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
}

// busy reports whether err is SQLite's "the file is locked by another
// writer".
func busy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// decideImport reads, under the import lock, what the decision needs.
func decideImport(ctx context.Context, tx *sql.Tx, req store.ImportRequest) (store.ImportPlan, error) {
	return store.Decide(req,
		func() (*bundle.Bundle, error) { return readBundle(ctx, tx) },
		func() (*gridplan.Plan, error) {
			return readPlan(ctx, tx, `SELECT `+planCols+` FROM plans WHERE status = 'published'`)
		})
}
