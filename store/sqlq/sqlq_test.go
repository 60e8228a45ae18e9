package sqlq_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/sqlq"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT $1, $2", "SELECT ?1, ?2"},
		{"WHERE a = $12 AND b = $3", "WHERE a = ?12 AND b = ?3"},
		{"SELECT '$1', \"$2\", $3", "SELECT '$1', \"$2\", ?3"},
		{"SELECT 'it''s $1', $1", "SELECT 'it''s $1', ?1"},
		{"SELECT $x, $", "SELECT $x, $"},
	} {
		if got := sqlq.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// run checks one adapter: placeholders out of order, Collect, Each, Exec's
// count, and the no-row answer being both ErrNoRows and the driver's.
func run(t *testing.T, tx sqlq.Tx, driverNoRows error) {
	t.Helper()
	ctx := context.Background()
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE t (id integer PRIMARY KEY, name text)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a", "b", "c"} {
		n, err := tx.Exec(ctx, `INSERT INTO t (name, id) VALUES ($2, $1)`, i+1, name)
		if err != nil || n != 1 {
			t.Fatalf("insert %s: %d rows, %v", name, n, err)
		}
	}
	names, err := sqlq.Collect(ctx, tx, func(r sqlq.Row) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, `SELECT name FROM t WHERE id >= $1 ORDER BY id`, 2)
	if err != nil || len(names) != 2 || names[0] != "b" || names[1] != "c" {
		t.Fatalf("Collect = %v, %v", names, err)
	}
	n, err := tx.Exec(ctx, `UPDATE t SET name = $1 WHERE id <> $2`, "z", 2)
	if err != nil || n != 2 {
		t.Fatalf("update: %d rows, %v", n, err)
	}
	var name string
	ok, err := sqlq.Found(tx.QueryRow(ctx, `SELECT name FROM t WHERE id = $1`, 99).Scan(&name))
	if ok || err != nil {
		t.Fatalf("missing row: found %v, %v", ok, err)
	}
	err = tx.QueryRow(ctx, `SELECT name FROM t WHERE id = $1`, 99).Scan(&name)
	if !errors.Is(err, sqlq.ErrNoRows) || !errors.Is(err, driverNoRows) {
		t.Fatalf("no row: %v is not both ErrNoRows and the driver's", err)
	}
	stop := errors.New("stop")
	calls := 0
	if err := sqlq.Each(ctx, tx, func(sqlq.Row) error { calls++; return stop }, `SELECT id FROM t`); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Each: %d calls, %v", calls, err)
	}
	if _, err := tx.Query(ctx, `SELECT nope FROM t`); err == nil {
		t.Fatal("a bad query answered no error")
	}
}

func TestStd(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	run(t, sqlq.Std(tx), sql.ErrNoRows)
}

// TestStdDB: a *sql.DB (statements outside a transaction) is a Tx too.
func TestStdDB(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database: its temporary table stays
	run(t, sqlq.Std(db), sql.ErrNoRows)
}

func TestPgx(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.PostGIS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	run(t, sqlq.Pgx(tx), pgx.ErrNoRows)
}

// FuzzRebind: the rewrite keeps the length, changes only "$" into "?",
// only before a digit, and leaves a statement without placeholders (its
// own output included) as it is.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{"SELECT $1", "'$1' $2 \"$3\"", "$", "$$1", "'unterminated $1", "it''s $12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := sqlq.Rebind(q)
		if len(out) != len(q) {
			t.Fatalf("Rebind(%q) = %q: length changed", q, out)
		}
		for i := 0; i < len(q); i++ {
			if out[i] == q[i] {
				continue
			}
			if q[i] != '$' || out[i] != '?' || i+1 >= len(q) || q[i+1] < '0' || q[i+1] > '9' {
				t.Fatalf("Rebind(%q) = %q: byte %d changed wrongly", q, out, i)
			}
		}
		if again := sqlq.Rebind(out); again != out {
			t.Fatalf("Rebind is not idempotent on %q: %q then %q", q, out, again)
		}
	})
}

// BenchmarkRebind: the rewrite of a typical listing statement (about
// 400 bytes, eight placeholders), done on every SQLite statement.
func BenchmarkRebind(b *testing.B) {
	q := `SELECT id, channel, external_id, category, description, address, reported_at, received_at, reporter, media, submitter
		FROM incidents WHERE channel = $1 AND category = $2 AND reported_at >= $3 AND reported_at < $4
		AND lon BETWEEN $5 AND $6 AND lat BETWEEN $7 AND $8 AND note <> '$9' ORDER BY id LIMIT 100`
	b.ReportAllocs()
	for b.Loop() {
		_ = sqlq.Rebind(q)
	}
}
