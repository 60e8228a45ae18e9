package gpkg

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
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

// TestPatrolHistory: every distinct report is kept once, older ones too.
func TestPatrolHistory(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	b := storetest.SmallBundle(1)
	if err := db.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Minute), t0} { // report, replay, older
		p := dispatch.PositionReport{Unit: b.Patrols[0].ID, Loc: orb.Point{118.61, 32.02}, Status: dispatch.StatusBusy, At: at}
		if _, err := db.ReportPositions(ctx, []dispatch.PositionReport{p}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.rd.QueryRowContext(ctx, `SELECT count(*) FROM unit_positions WHERE unit_id = ?`, b.Patrols[0].ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d history rows, want 2 (the replay collapses, the older report is kept)", n)
	}
}

func TestMain(m *testing.M) {
	storetest.KillChildMain(func(ctx context.Context, path string) (storetest.Hooked, error) { return Open(ctx, path) })
	os.Exit(m.Run())
}

// TestImportKilledAtSteps: a process killed (SIGKILL) at each step of the
// import transaction leaves the file holding the old state.
func TestImportKilledAtSteps(t *testing.T) {
	storetest.KillAtSteps(t, filepath.Join(t.TempDir(), "kill.gpkg"), func(ctx context.Context, path string) (storetest.Hooked, error) {
		return Open(ctx, path)
	})
}
