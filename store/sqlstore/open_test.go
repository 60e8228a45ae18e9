package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

func TestWrapErr(t *testing.T) {
	busy := errors.New("busy")
	classify := func(err error) error {
		if err == busy {
			return errs.Wrap(errs.Unavailable, err, "busy")
		}
		return nil
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want errs.Code
	}{
		{context.Background(), busy, errs.Unavailable},
		{context.Background(), errors.New("other"), errs.Internal},
		{context.Background(), errs.E(errs.NotFound, "plan", "none"), errs.NotFound},
		{cancelled, errors.New("other"), errs.Unavailable},
	} {
		if got := WrapErr(c.ctx, c.err, classify); !errs.Is(got, c.want) {
			t.Errorf("WrapErr(%v) = %v, want %s", c.err, got, c.want)
		}
	}
	if WrapErr(context.Background(), nil, classify) != nil {
		t.Error("WrapErr(nil) is not nil")
	}
}

// sqliteMigrations records migrations in a table of an in-memory database.
type sqliteMigrations struct{ locks *int }

func (sqliteMigrations) Table() string { return "migrations" }
func (sqliteMigrations) Create() string {
	return `CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`
}
func (d sqliteMigrations) Lock(context.Context, sqlq.Tx) error { *d.locks++; return nil }
func (sqliteMigrations) Apply(ctx context.Context, tx sqlq.Tx, m store.Migration) error {
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO migrations VALUES ($1, $2)`, m.Version, m.Name)
	return err
}

// TestMigrate: each migration runs once in its own transaction, under the
// lock; a failing one is named and leaves the ones before it recorded.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	write := func(fn func(sqlq.Tx) error) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if err := fn(sqlq.Std(tx)); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	ms := []store.Migration{
		{Version: 1, Name: "001_a", File: "migrations/001_a.sql", SQL: `CREATE TABLE a (x INTEGER)`},
		{Version: 2, Name: "002_b", File: "migrations/002_b.sql", SQL: `INSERT INTO a VALUES (1)`},
	}
	locks := 0
	for i := 0; i < 2; i++ { // the second run finds both applied
		if err := Migrate(ctx, ms, sqliteMigrations{&locks}, write); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	var rows, recorded int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM migrations)`).Scan(&rows, &recorded); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || recorded != 2 || locks != 6 {
		t.Fatalf("%d rows, %d recorded, %d locks; want 1, 2, 6", rows, recorded, locks)
	}
	bad := append(ms, store.Migration{Version: 3, Name: "003_c", File: "migrations/003_c.sql", SQL: `INSERT INTO nowhere VALUES (1)`})
	err = Migrate(ctx, bad, sqliteMigrations{&locks}, write)
	if err == nil || !strings.Contains(err.Error(), "migrations/003_c.sql") || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("a failing migration: %v", err)
	}
}
