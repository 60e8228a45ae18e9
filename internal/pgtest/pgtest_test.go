package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStopStart: the cluster serves, refuses while stopped, and serves
// the same data after it is started again.
func TestStopStart(t *testing.T) {
	c := Start(t)
	dsn := c.CreateDB(t, "pgtest")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE t AS SELECT ST_MakePoint(118.7, 32.1) AS p"); err != nil {
		t.Fatal(err)
	}
	c.Stop(t)
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("the stopped cluster answered")
	}
	c.StartAgain(t)
	if err := exec("SELECT p FROM t"); err != nil {
		t.Fatalf("after start: %v", err)
	}
}
