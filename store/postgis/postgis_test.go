package postgis

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/storetest"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), testenv.PostGIS(t))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestStatementTimeoutIsSet(t *testing.T) {
	db := openTest(t)
	defer db.Close()
	var v string
	if err := db.pool.QueryRow(context.Background(), `SHOW statement_timeout`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "30s" {
		t.Fatalf("statement_timeout = %q, want 30s", v)
	}
}

func TestMigrationsRecordedOnce(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ { // the second Open finds everything applied
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		names, _ := migrationFS.ReadDir("migrations")
		if n != len(names) {
			t.Fatalf("open %d: %d migrations recorded, want %d", i, n, len(names))
		}
		db.Close()
	}
}

// TestConnectionLoss: a server that is gone or a connection killed under
// the store gives Unavailable errors the caller can retry, never a panic,
// and the pool recovers once the server is back.
func TestConnectionLoss(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Open on a closed port: %v, want Unavailable", err)
	}
	dsn := testenv.PostGIS(t)
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportBundle(ctx, storetest.SmallBundle(1)); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	recovered := false
	for i := 0; i < 5; i++ {
		_, err := db.Features(ctx, store.Query{Layer: store.Buildings, Limit: 1})
		if err == nil {
			recovered = true
			break
		}
		if !errs.Is(err, errs.Unavailable) {
			t.Fatalf("after the connections were killed: %v (code %s), want Unavailable", err, errs.CodeOf(err))
		}
	}
	if !recovered {
		t.Fatal("the pool did not recover after its connections were killed")
	}
	db.Close()
	_, err = db.Plans(ctx)
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("after Close: %v, want Unavailable", err)
	}
}

// TestRaw runs the checks that need SQL past the store.
func TestRaw(t *testing.T) {
	storetest.RunRaw(t, func(t *testing.T) (store.Store, storetest.Raw) {
		db := openTest(t)
		return db, storetest.Raw{
			DB:      sqlq.Pgx(db.pool),
			Wrap:    func(err error) error { return wrapErr(context.Background(), err) },
			Columns: `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
			Kind: func(typ string) storetest.Column {
				return storetest.Column{Int: typ == "integer" || typ == "bigint", DateTime: typ == "timestamp with time zone", TimeKnown: true}
			},
			Internal: func(l store.Layer) []string { return append([]string{geomColumn(l)}, notProperties[l]...) },
		}
	})
}

// notProperties are the columns of a layer table that are not served
// properties besides its geometry column: a patrol's home.
// Cases and incidents keep more than GIS tools are served (costs, the
// reporter, media, routing JSON).
var notProperties = map[store.Layer][]string{store.Patrols: {"home"},
	store.Cases:     {"cost_yuan", "spot_check", "escalate_at"},
	store.Incidents: {"description", "reporter", "media", "submitter", "located", "duplicate", "score", "routing"}}

func TestMain(m *testing.M) {
	storetest.KillChildMain(func(ctx context.Context, dsn string) (storetest.Hooked, error) { return Open(ctx, dsn) })
	os.Exit(m.Run())
}

// TestImportKilledAtSteps: a process killed (SIGKILL) at each step of the
// import transaction leaves the database holding the old state.
func TestImportKilledAtSteps(t *testing.T) {
	storetest.KillAtSteps(t, testenv.PostGIS(t), func(ctx context.Context, dsn string) (storetest.Hooked, error) {
		return Open(ctx, dsn)
	})
}
