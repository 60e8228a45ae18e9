package gpkg

import (
	"context"
	"path/filepath"
	"testing"

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
