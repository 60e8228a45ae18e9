package gpkg

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gridd/gridd/errs"

	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/storetest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

// TestOnePublishedByDatabase: even SQL that bypasses the store cannot
// publish a second plan.
func TestOnePublishedByDatabase(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := db.wr.ExecContext(ctx, `INSERT INTO plans (name, status, params, created_at) VALUES ('p', 'draft', '{}', '')`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.wr.ExecContext(ctx, `UPDATE plans SET status = 'published' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := db.wr.ExecContext(ctx, `UPDATE plans SET status = 'published' WHERE id = 2`)
	if !errs.Is(wrapErr(ctx, err), errs.Conflict) {
		t.Fatalf("second published plan: %v, want a unique violation (Conflict)", err)
	}
}
