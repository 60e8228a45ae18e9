package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// ImportLockWait is how long an import waits for another writer of the
// file (another process's import) before it fails with "another import is
// running".
const ImportLockWait = 2 * time.Minute

// WriteImport runs an import's transaction. It begins IMMEDIATE, taking
// the file's write lock, which serialises imports across processes: an
// import retries while the file is busy, up to ImportLockWait.
func (b backend) WriteImport(ctx context.Context, fn func(sqlstore.PlansTx) error) error {
	deadline := time.Now().Add(ImportLockWait)
	for {
		err := b.db.write(ctx, "import", func(tx *sql.Tx) error { return fn(plansTx{sqlq.Std(tx), whereDialect{}, tx}) })
		switch {
		case err == nil:
			return nil
		case !busy(err):
			return err
		case time.Now().After(deadline):
			return store.ErrImportRunning()
		}
		select {
		case <-ctx.Done():
			return errs.Wrap(errs.Conflict, ctx.Err(), "another import is running; gave up waiting for it")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// busy reports whether err is SQLite's "the file is locked by another
// writer".
func busy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}
