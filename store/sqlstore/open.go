package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// Hooks is the clock a store stamps plans with and the hook its imports
// call at their named steps; both backends embed it.
type Hooks struct {
	// importHook, when set, is called at the named steps of an import
	// inside its transaction (tests kill the process there).
	importHook func(step string)
	// clock gives the times plans are created and published at
	// (store.Now unless SetClock injected another).
	clock func() time.Time
}

// SetClock injects the clock the store stamps plans with (tests; call
// before use).
func (h *Hooks) SetClock(now func() time.Time) { h.clock = now }

// Now is the store's clock at the precision both stores keep.
func (h *Hooks) Now() time.Time {
	if h.clock == nil {
		return store.Now()
	}
	return h.clock().UTC().Truncate(time.Microsecond)
}

// SetImportHook has f called at each named step of an import ("decided",
// "bundle", "plan", "publish"), inside the transaction, before commit.
// For crash tests; not safe to call while imports run.
func (h *Hooks) SetImportHook(f func(step string)) { h.importHook = f }

func (h *Hooks) hook(step string) {
	if h.importHook != nil {
		h.importHook(step)
	}
}

// MigrateDialect is where the backends' migration bookkeeping differs.
type MigrateDialect interface {
	// Table is the table that records applied migrations (by version).
	Table() string
	// Create is the statement that creates Table if missing.
	Create() string
	// Lock serialises migrations of concurrent opens for the rest of tx
	// (nothing where the transaction's write lock does it already).
	Lock(ctx context.Context, tx sqlq.Tx) error
	// Apply runs m's script and records it in Table.
	Apply(ctx context.Context, tx sqlq.Tx, m store.Migration) error
}

// Migrate applies the migrations not yet recorded, each in its own
// transaction (write), in order.
func Migrate(ctx context.Context, migrations []store.Migration, d MigrateDialect, write func(fn func(sqlq.Tx) error) error) error {
	err := write(func(tx sqlq.Tx) error {
		if err := d.Lock(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, d.Create())
		return err
	})
	if err != nil {
		return err
	}
	for _, m := range migrations {
		err := write(func(tx sqlq.Tx) error {
			if err := d.Lock(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+d.Table()+` WHERE version = $1`, m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if err := d.Apply(ctx, tx, m); err != nil {
				return fmt.Errorf("migration %s: %w", m.File, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// WrapErr is a store's error as its callers see it: domain errors kept,
// cancellation recognisable (store.CommonErr), then what the driver's
// classify says of err (nil: nothing), else Internal.
func WrapErr(ctx context.Context, err error, classify func(error) error) error {
	if err == nil {
		return nil
	}
	if e := store.CommonErr(ctx, err); e != nil {
		return e
	}
	if e := classify(err); e != nil {
		return e
	}
	return errs.Wrap(errs.Internal, err, "storage failure")
}
