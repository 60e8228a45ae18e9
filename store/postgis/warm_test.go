package postgis

import (
	"context"
	"testing"
)

// TestWarmInsertsWriteNothing: the warm-up runs both intake inserts
// without an error (so it really executes them) and leaves no incident,
// case or event behind.
func TestWarmInsertsWriteNothing(t *testing.T) {
	db := openTest(t)
	defer db.Close()
	ctx := context.Background()
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	for i := range 2 { // twice: nothing of the first is left to conflict with
		if err := warmInserts(ctx, c.Conn()); err != nil {
			t.Fatalf("warm-up %d: %v", i, err)
		}
	}
	for _, table := range []string{"incidents", "cases", "case_events"} {
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows after the warm-up", table, n)
		}
	}
}
