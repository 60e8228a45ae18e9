package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// importLock serialises imports (pg advisory lock key: "import" in ASCII).
const importLock = 0x696d706f7274

// ImportLockWait is how long an import waits for another to finish before
// it fails with "another import is running".
const ImportLockWait = 2 * time.Minute

// WriteImport runs an import's transaction under the import lock:
// another import's transaction is waited for up to ImportLockWait.
func (b backend) WriteImport(ctx context.Context, fn func(sqlstore.PlansTx) error) error {
	return b.db.write(ctx, "import", func(tx pgx.Tx) error {
		if err := lockImport(ctx, tx); err != nil {
			return err
		}
		return fn(plansTx{sqlq.Pgx(tx), whereDialect{}, tx})
	})
}

// lockImport takes the import lock for tx, waiting up to ImportLockWait
// (and no longer than ctx) for another import to finish.
func lockImport(ctx context.Context, tx pgx.Tx) error {
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
