package postgis

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/internal/testenv"
)

// TestBusSurvivesKilledConnections: events published while every
// connection of the store is killed, again and again, are appended once
// the pool reconnects, all of them, in publication order; the hub
// following the log meanwhile streams them in that order.
func TestBusSurvivesKilledConnections(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hub := events.NewHub(db, events.HubOptions{Poll: time.Hour, Buffer: 10000})
	bus := events.NewBus(db, events.BusOptions{Batch: 7, OnAppended: hub.Notify})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 3)
	go func() { bus.Run(runCtx, 5*time.Second); done <- struct{}{} }()
	go func() { hub.Run(runCtx); done <- struct{}{} }()
	go func() { _ = db.ListenEvents(runCtx, hub.Notify); done <- struct{}{} }()
	sub, err := hub.Follow(ctx, -1, events.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	const n = 300
	for i := 0; i < n; i++ {
		bus.Publish(ctx, events.New(events.CaseChanged, time.Now(), nil, i))
		if i%50 == 25 {
			if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
				t.Fatal(err)
			}
		}
		if i%10 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	// Payloads must be 0..n-1: none lost, none reordered, none twice (a
	// batch retried after its commit answer was lost with its connection
	// is skipped by its events' keys).
	check := func(what string, next func() (events.Event, error)) {
		seen := map[int]bool{}
		want := 0
		for want < n {
			ev, err := next()
			if err != nil {
				t.Fatalf("%s: %v after %d", what, err, want)
			}
			var k int
			_ = json.Unmarshal(ev.Data, &k)
			if seen[k] {
				t.Fatalf("%s: payload %d twice", what, k)
			}
			if k != want {
				t.Fatalf("%s: payload %d, want %d", what, k, want)
			}
			seen[k] = true
			want++
		}
	}
	check("hub", func() (events.Event, error) {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return sub.Next(c, nil)
	})
	var after int64
	var page []events.Event
	check("log", func() (events.Event, error) {
		for len(page) == 0 {
			p, err := db.EventsSince(ctx, after, 50)
			if err != nil {
				return events.Event{}, err
			}
			if len(p) == 0 {
				return events.Event{}, context.DeadlineExceeded
			}
			page = p
		}
		ev := page[0]
		page, after = page[1:], ev.ID
		return ev, nil
	})
	// Every event is in the log now; the bus counts a batch as appended
	// once its commit has returned, which may be a moment after the log
	// shows it.
	st := bus.Stats()
	for wait := time.Now().Add(10 * time.Second); st.Appended < n && time.Now().Before(wait); st = bus.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	if st.Dropped != 0 || st.Appended < n {
		t.Fatalf("bus stats %+v: want every event appended, none dropped", st)
	}
	t.Logf("bus %+v, hub %+v", st, hub.Stats())
	stop()
	for i := 0; i < 3; i++ {
		<-done
	}
}
