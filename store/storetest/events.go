package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/store"
)

// runEvents is the store.EventLog part of the contract.
func runEvents(t *testing.T, fresh func(t *testing.T) store.Store) {
	open := func(t *testing.T) store.EventLog {
		s := fresh(t)
		l, ok := s.(store.EventLog)
		if !ok {
			t.Fatalf("%T does not implement store.EventLog", s)
		}
		return l
	}
	t.Run("AppendReadBack", func(t *testing.T) { testEventsReadBack(t, open(t)) })
	t.Run("RefusedLeavesNothing", func(t *testing.T) { testEventsRefused(t, open(t)) })
	t.Run("ConcurrentAppendsInOrder", func(t *testing.T) { testEventsConcurrent(t, open(t)) })
	t.Run("Trim", func(t *testing.T) { testEventsTrim(t, open(t)) })
	t.Run("Listen", func(t *testing.T) { testEventsListen(t, open(t)) })
	t.Run("KeyedAppendsIdempotent", func(t *testing.T) { testEventsKeyed(t, open(t)) })
}

var evT0 = time.Date(2026, 7, 1, 9, 30, 0, 123456000, time.UTC)

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func testEventsReadBack(t *testing.T, l store.EventLog) {
	ctx := ctxT(t)
	if last, err := l.LastEventID(ctx); err != nil || last != 0 {
		t.Fatalf("LastEventID of an empty log: %d, %v", last, err)
	}
	p := orb.Point{118.6123456789, 32.0712345678}
	in := []events.Event{
		events.New(events.IncidentCreated, evT0, &p, map[string]any{"incident": 7, "name": "井盖 \"缺失\"\n"}),
		{Type: events.PlanPublished, At: evT0.Add(time.Second)},
		events.New(events.CaseChanged, evT0.Add(2*time.Second), nil, map[string]any{"case": 3, "list": []int{1, 2}}),
	}
	last, err := l.AppendEvents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.EventsSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].ID != last {
		t.Fatalf("read back %d events (last id %d), want 3 ending at %d", len(got), got[len(got)-1].ID, last)
	}
	for i, g := range got {
		w := in[i]
		if i > 0 && g.ID <= got[i-1].ID {
			t.Fatalf("ids not increasing: %d after %d", g.ID, got[i-1].ID)
		}
		if g.Type != w.Type || !g.At.Equal(w.At) || (g.Loc == nil) != (w.Loc == nil) || g.Loc != nil && !samePoint(*g.Loc, *w.Loc) {
			t.Fatalf("event %d: got %+v, want %+v", i, g, w)
		}
		wd := w.Data
		if len(wd) == 0 {
			wd = []byte("null")
		}
		if !sameJSON(g.Data, wd) {
			t.Fatalf("event %d data: got %s, want %s", i, g.Data, wd)
		}
	}
	if lid, err := l.LastEventID(ctx); err != nil || lid != last {
		t.Fatalf("LastEventID %d, %v; want %d", lid, err, last)
	}
	page, err := l.EventsSince(ctx, got[0].ID, 1)
	if err != nil || len(page) != 1 || page[0].ID != got[1].ID {
		t.Fatalf("EventsSince(first, 1): %+v, %v; want the second", page, err)
	}
	if page, err := l.EventsSince(ctx, last, 10); err != nil || len(page) != 0 {
		t.Fatalf("EventsSince(last): %d events, %v; want none", len(page), err)
	}
	if n, err := l.AppendEvents(ctx, nil); err != nil || n != 0 {
		t.Fatalf("AppendEvents(nil): %d, %v", n, err)
	}
	more, err := l.AppendEvents(ctx, []events.Event{{Type: "x.y", At: evT0}})
	if err != nil || more <= last {
		t.Fatalf("next append: id %d, %v; want above %d", more, err, last)
	}
}

func testEventsRefused(t *testing.T, l store.EventLog) {
	ctx := ctxT(t)
	good := events.New(events.CaseChanged, evT0, nil, map[string]int{"case": 1})
	nan := orb.Point{math.NaN(), 32}
	far := orb.Point{118, 95}
	for i, bad := range [][]events.Event{
		{good, {At: evT0}},
		{good, {Type: "x", At: evT0, Data: []byte(`{"a":`)}},
		{good, {Type: "x", At: evT0, Loc: &nan}},
		{good, {Type: "x", At: evT0, Loc: &far}},
		{good, {Type: "x"}},
	} {
		_, err := l.AppendEvents(ctx, bad)
		wantCode(t, fmt.Sprintf("bad batch %d", i), err, errs.Invalid)
	}
	if got, err := l.EventsSince(ctx, 0, 10); err != nil || len(got) != 0 {
		t.Fatalf("after refused batches: %d events, %v; want none (a batch is one transaction)", len(got), err)
	}
	for _, lim := range []int{0, -1, 10001} {
		_, err := l.EventsSince(ctx, 0, lim)
		wantCode(t, fmt.Sprintf("limit %d", lim), err, errs.Invalid)
	}
}

// testEventsConcurrent: writers append concurrently while a reader tails
// the log by id; the reader must see every event exactly once — an id
// committed after a higher one was read would be skipped.
func testEventsConcurrent(t *testing.T, l store.EventLog) {
	ctx := ctxT(t)
	const writers, rounds, batch = 6, 15, 3
	var wg sync.WaitGroup
	errc := make(chan error, writers*rounds)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				evs := make([]events.Event, batch)
				for i := range evs {
					evs[i] = events.New(events.CaseChanged, evT0, nil, map[string]int{"w": w, "r": r, "i": i})
				}
				if _, err := l.AppendEvents(ctx, evs); err != nil {
					errc <- err
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]bool{}
	var order []int64
	var after int64
	tail := func() {
		for {
			evs, err := l.EventsSince(ctx, after, 7)
			if err != nil {
				t.Error(err)
				return
			}
			for _, ev := range evs {
				if seen[ev.ID] || ev.ID <= after {
					t.Errorf("id %d read twice or out of order (after %d)", ev.ID, after)
				}
				seen[ev.ID] = true
				order = append(order, ev.ID)
				after = ev.ID
			}
			if len(evs) < 7 {
				return
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		tail()
	}
	tail()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	all, err := l.EventsSince(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*rounds*batch || len(order) != len(all) {
		t.Fatalf("stored %d, the tailing reader saw %d, want %d each", len(all), len(order), writers*rounds*batch)
	}
	if !sort.SliceIsSorted(order, func(i, j int) bool { return order[i] < order[j] }) {
		t.Fatal("the reader saw ids out of order")
	}
	// A batch is contiguous in the id order: one transaction each.
	for i := 0; i < len(all); i += batch {
		var first map[string]int
		_ = json.Unmarshal(all[i].Data, &first)
		for k := 1; k < batch; k++ {
			var m map[string]int
			_ = json.Unmarshal(all[i+k].Data, &m)
			if m["w"] != first["w"] || m["r"] != first["r"] || m["i"] != k {
				t.Fatalf("batch split: %s then %s", all[i].Data, all[i+k].Data)
			}
		}
	}
}

func testEventsTrim(t *testing.T, l store.EventLog) {
	ctx := ctxT(t)
	evs := make([]events.Event, 10)
	for i := range evs {
		evs[i] = events.New(events.UnitPosition, evT0, nil, map[string]int{"n": i})
	}
	last, err := l.AppendEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is an hour old: only the count bound trims.
	n, err := l.TrimEvents(ctx, time.Now().Add(-time.Hour), 4)
	if err != nil || n != 6 {
		t.Fatalf("TrimEvents(keep 4): %d, %v; want 6", n, err)
	}
	got, err := l.EventsSince(ctx, 0, 100)
	if err != nil || len(got) != 4 || got[0].ID != last-3 || got[3].ID != last {
		t.Fatalf("after trimming to 4: %d events from %d, %v", len(got), got[0].ID, err)
	}
	if n, err := l.TrimEvents(ctx, time.Now().Add(-time.Hour), 0); err != nil || n != 0 {
		t.Fatalf("TrimEvents with nothing old: %d, %v", n, err)
	}
	// Everything stored before now+1h goes.
	if n, err := l.TrimEvents(ctx, time.Now().Add(time.Hour), 0); err != nil || n != 4 {
		t.Fatalf("TrimEvents(all old): %d, %v; want 4", n, err)
	}
	next, err := l.AppendEvents(ctx, evs[:1])
	if err != nil || next <= last {
		t.Fatalf("append after trimming all: id %d, %v; ids must not be reused (last was %d)", next, err, last)
	}
}

func testEventsListen(t *testing.T, l store.EventLog) {
	ctx, cancel := context.WithCancel(ctxT(t))
	wakes := make(chan int64, 100)
	done := make(chan error, 1)
	go func() { done <- l.ListenEvents(ctx, func(id int64) { wakes <- id }) }()
	select {
	case <-wakes: // the first wake-up, on connecting
	case <-time.After(20 * time.Second):
		t.Fatal("no wake-up on connecting")
	}
	last, err := l.AppendEvents(ctx, []events.Event{{Type: events.PlanPublished, At: evT0}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for got := false; !got; {
		select {
		case id := <-wakes:
			got = id == last
		case <-deadline:
			t.Fatalf("no wake-up naming id %d after an append", last)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ListenEvents: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenEvents did not return when its context ended")
	}
}

// testEventsKeyed: a batch appended again (a retry after a lost commit
// answer) stores nothing twice; new keys in a half-new batch are stored.
func testEventsKeyed(t *testing.T, l store.EventLog) {
	ctx := ctxT(t)
	mk := func(keys ...string) []events.Event {
		out := make([]events.Event, len(keys))
		for i, k := range keys {
			out[i] = events.New(events.CaseChanged, evT0, nil, k)
			out[i].Key = k
		}
		return out
	}
	first, err := l.AppendEvents(ctx, mk("b1:1", "b1:2"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.AppendEvents(ctx, mk("b1:1", "b1:2"))
	if err != nil || again != first {
		t.Fatalf("the batch again: last id %d, %v; want %d (nothing new)", again, err, first)
	}
	more, err := l.AppendEvents(ctx, append(mk("b1:2", "b1:3"), events.Event{Type: events.PlanPublished, At: evT0}))
	if err != nil || more <= first {
		t.Fatalf("half-new batch: %d, %v", more, err)
	}
	got, err := l.EventsSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ev := range got {
		var k string
		_ = json.Unmarshal(ev.Data, &k)
		keys = append(keys, k)
	}
	if fmt.Sprint(keys) != "[b1:1 b1:2 b1:3 ]" {
		t.Fatalf("stored %q, want each key once and the unkeyed event", keys)
	}
	_, err = l.AppendEvents(ctx, []events.Event{{Type: "x", At: evT0, Key: strings.Repeat("k", 201)}})
	wantCode(t, "a 201-byte key", err, errs.Invalid)
}
