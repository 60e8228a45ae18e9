package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// memLog is an in-memory Log and Appender; fail makes appends fail.
type memLog struct {
	mu    sync.Mutex
	evs   []Event
	fail  bool
	wake  func(int64)
	reads int
}

func (l *memLog) AppendEvents(_ context.Context, evs []Event) (int64, error) {
	l.mu.Lock()
	if l.fail {
		l.mu.Unlock()
		return 0, errors.New("database down")
	}
	for _, ev := range evs {
		ev.ID = int64(len(l.evs) + 1)
		l.evs = append(l.evs, ev)
	}
	last := int64(len(l.evs))
	w := l.wake
	l.mu.Unlock()
	if w != nil {
		w(last)
	}
	return last, nil
}

func (l *memLog) TrimEvents(context.Context, time.Time, int) (int64, error) { return 0, nil }

func (l *memLog) EventsSince(_ context.Context, after int64, limit int) ([]Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	var out []Event
	for _, ev := range l.evs {
		if ev.ID > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *memLog) LastEventID(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.evs)), nil
}

func startHub(t *testing.T, l *memLog, opt HubOptions) (*Hub, context.CancelFunc) {
	t.Helper()
	h := NewHub(l, opt)
	l.mu.Lock()
	l.wake = h.Notify
	l.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h, cancel
}

func pt(x, y float64) *orb.Point { p := orb.Point{x, y}; return &p }

func appendN(t *testing.T, l *memLog, n int, typ Type, loc *orb.Point) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := l.AppendEvents(context.Background(), []Event{New(typ, time.Now(), loc, map[string]int{"i": i})}); err != nil {
			t.Fatal(err)
		}
	}
}

func next(t *testing.T, s *Sub) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := s.Next(ctx, nil)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

func TestFilterMatch(t *testing.T) {
	box := orb.Bound{Min: orb.Point{118, 32}, Max: orb.Point{119, 33}}
	for _, c := range []struct {
		f    Filter
		ev   Event
		want bool
	}{
		{Filter{}, Event{Type: CaseChanged}, true},
		{Filter{Types: map[Type]bool{CaseChanged: true}}, Event{Type: CaseChanged}, true},
		{Filter{Types: map[Type]bool{CaseChanged: true}}, Event{Type: UnitPosition}, false},
		{Filter{BBox: &box}, Event{Type: CaseChanged, Loc: pt(118.5, 32.5)}, true},
		{Filter{BBox: &box}, Event{Type: CaseChanged, Loc: pt(117.5, 32.5)}, false},
		{Filter{BBox: &box}, Event{Type: PlanPublished}, true}, // no place: everywhere
		{Filter{BBox: &box, Types: map[Type]bool{UnitPosition: true}}, Event{Type: CaseChanged, Loc: pt(118.5, 32.5)}, false},
	} {
		if got := c.f.Match(&c.ev); got != c.want {
			t.Errorf("%+v matches %+v: %v, want %v", c.f, c.ev, got, c.want)
		}
	}
}

// TestHubFilters: each subscriber gets the live events its filter selects.
func TestHubFilters(t *testing.T) {
	l := &memLog{}
	h, _ := startHub(t, l, HubOptions{})
	box := orb.Bound{Min: orb.Point{118, 32}, Max: orb.Point{119, 33}}
	ctx := context.Background()
	all, _ := h.Follow(ctx, -1, Filter{})
	cases, _ := h.Follow(ctx, -1, Filter{Types: map[Type]bool{CaseChanged: true}})
	inBox, _ := h.Follow(ctx, -1, Filter{BBox: &box})
	appendN(t, l, 1, UnitPosition, pt(117, 32.5))  // 1: outside the box
	appendN(t, l, 1, CaseChanged, pt(118.2, 32.2)) // 2
	appendN(t, l, 1, PlanPublished, nil)           // 3
	for i := int64(1); i <= 3; i++ {
		if ev := next(t, all); ev.ID != i {
			t.Fatalf("all: got %d, want %d", ev.ID, i)
		}
	}
	if ev := next(t, cases); ev.ID != 2 {
		t.Fatalf("case filter: got %d, want 2", ev.ID)
	}
	if a, b := next(t, inBox), next(t, inBox); a.ID != 2 || b.ID != 3 {
		t.Fatalf("bbox filter: got %d, %d; want 2, 3", a.ID, b.ID)
	}
	tick := make(chan time.Time, 1)
	tick <- time.Now()
	if _, err := cases.Next(ctx, tick); !errors.Is(err, ErrTick) {
		t.Fatalf("idle subscriber: %v, want ErrTick", err)
	}
}

// TestHubSlowSubscriber: a subscriber that does not read is cut off when
// its buffer fills; the others get every event, nobody waits.
func TestHubSlowSubscriber(t *testing.T) {
	l := &memLog{}
	h, _ := startHub(t, l, HubOptions{Buffer: 4})
	ctx := context.Background()
	slow, _ := h.Follow(ctx, -1, Filter{})
	fast, _ := h.Follow(ctx, -1, Filter{})
	got := make(chan int64, 100)
	go func() {
		for {
			ev, err := fast.Next(ctx, nil)
			if err != nil {
				close(got)
				return
			}
			got <- ev.ID
		}
	}()
	for i := 0; i < 20; i++ {
		appendN(t, l, 1, CaseChanged, nil)
		select {
		case id := <-got:
			if id != int64(i+1) {
				t.Fatalf("fast subscriber got %d, want %d", id, i+1)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast subscriber stalled at event %d", i+1)
		}
	}
	n := 0
	var err error
	for {
		if _, err = slow.Next(ctx, nil); err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, ErrSlow) || n != 4 {
		t.Fatalf("slow subscriber: %d events then %v; want its 4 buffered then ErrSlow", n, err)
	}
	if st := h.Stats(); st.CutOff != 1 || st.Subscribers != 1 {
		t.Fatalf("stats %+v: want one cut off, one left", st)
	}
	// It resumes from the last id it got, through the log.
	again, err := h.Follow(ctx, slow.LastID(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, again); ev.ID != 5 {
		t.Fatalf("resumed at %d, want 5", ev.ID)
	}
}

// TestHubFollowNoGapNoDuplicate: subscribers that join at any moment
// while events keep coming get every event after their id exactly once,
// in order, across the switch from replay to live.
func TestHubFollowNoGapNoDuplicate(t *testing.T) {
	l := &memLog{}
	appendN(t, l, 120, CaseChanged, nil)
	h, _ := startHub(t, l, HubOptions{Page: 7, Buffer: 10000})
	const total = 600
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		for i := 120; i < total; i++ {
			_, _ = l.AppendEvents(ctx, []Event{New(CaseChanged, time.Now(), nil, i)})
			if i%50 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for k := 0; k < 40; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			time.Sleep(time.Duration(k%10) * time.Millisecond)
			after := int64(k * 13 % 200)
			s, err := h.Follow(ctx, after, Filter{})
			if err != nil {
				errc <- err
				return
			}
			defer s.Close()
			for want := after + 1; want <= total; want++ {
				ev, err := s.Next(ctx, nil)
				if err != nil {
					errc <- fmt.Errorf("subscriber %d after %d: %v at %d", k, after, err, want)
					return
				}
				if ev.ID != want {
					errc <- fmt.Errorf("subscriber %d after %d: got id %d, want %d", k, after, ev.ID, want)
					return
				}
			}
		}(k)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestHubCloses: when the hub's context ends every subscription ends
// with ErrClosed, and Follow refuses new ones.
func TestHubCloses(t *testing.T) {
	l := &memLog{}
	h, cancel := startHub(t, l, HubOptions{})
	s, err := h.Follow(context.Background(), -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Next(context.Background(), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after the hub stopped: %v, want ErrClosed", err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, err := h.Follow(context.Background(), -1, Filter{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Follow on a stopped hub: %v", err)
	}
}

// TestHubPollsWithoutWakeUps: a missed wake-up only delays delivery.
func TestHubPollsWithoutWakeUps(t *testing.T) {
	l := &memLog{}
	h := NewHub(l, HubOptions{Poll: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	s, err := h.Follow(ctx, -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 1, CaseChanged, nil) // nobody is woken
	if ev := next(t, s); ev.ID != 1 {
		t.Fatalf("got %d", ev.ID)
	}
}

// TestBusRetriesInOrderAndDrops: while the log fails, events queue (up to
// the bound; beyond it they are dropped and counted) and are appended in
// publication order when it is back; Publish never waits.
func TestBusRetriesInOrderAndDrops(t *testing.T) {
	l := &memLog{fail: true}
	b := NewBus(l, BusOptions{Queue: 50, Batch: 8})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, time.Second); close(done) }()
	start := time.Now()
	for i := 0; i < 60; i++ {
		b.Publish(ctx, New(CaseChanged, time.Time{}, nil, i))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Publish took %v with the log down", d)
	}
	time.Sleep(300 * time.Millisecond)
	if st := b.Stats(); st.Dropped != 10 || st.Queued != 50 || st.Failures == 0 || st.Appended != 0 {
		t.Fatalf("stats while down: %+v", st)
	}
	l.mu.Lock()
	l.fail = false
	l.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().Appended < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("not appended after the log came back: %+v", b.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	evs, _ := l.EventsSince(ctx, 0, 100)
	for i, ev := range evs {
		if string(ev.Data) != fmt.Sprint(i) || ev.At.IsZero() {
			t.Fatalf("event %d: data %s at %v, want %d in order, stamped", i, ev.Data, ev.At, i)
		}
	}
	// Events published during shutdown are drained.
	b.Publish(ctx, New(PlanPublished, time.Now(), nil, "last"))
	cancel()
	<-done
	if st := b.Stats(); st.Appended != 51 {
		t.Fatalf("after shutdown: %+v, want the last event appended", st)
	}
}

// flakyLog fails its first reads.
type flakyLog struct {
	*memLog
	mu    sync.Mutex
	fails int
}

func (l *flakyLog) EventsSince(ctx context.Context, after int64, limit int) ([]Event, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, errors.New("connection refused")
	}
	l.mu.Unlock()
	return l.memLog.EventsSince(ctx, after, limit)
}

// TestHubRetriesReads: while the log cannot be read the hub counts the
// failures and retries; the events come once it can.
func TestHubRetriesReads(t *testing.T) {
	l := &flakyLog{memLog: &memLog{}, fails: 3}
	var errsSeen sync.Map
	h := NewHub(l, HubOptions{Poll: time.Hour, OnError: func(err error) { errsSeen.Store(err.Error(), true) }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	s, err := h.Follow(ctx, -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l.memLog, 2, CaseChanged, nil)
	h.Notify(2)
	if a, b := next(t, s), next(t, s); a.ID != 1 || b.ID != 2 {
		t.Fatalf("got %d, %d", a.ID, b.ID)
	}
	if st := h.Stats(); st.ReadErrors != 3 {
		t.Fatalf("read errors %d, want 3", st.ReadErrors)
	}
	if _, ok := errsSeen.Load("connection refused"); !ok {
		t.Fatal("OnError not called")
	}
}

// TestHubSkipsStaleWakeUps: a wake-up naming an id already delivered
// (this replica's append, then its own NOTIFY) reads nothing; one naming
// no id reads.
func TestHubSkipsStaleWakeUps(t *testing.T) {
	l := &memLog{}
	h, _ := startHub(t, l, HubOptions{Poll: time.Hour})
	s, err := h.Follow(context.Background(), -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 1, CaseChanged, nil)
	next(t, s)
	time.Sleep(20 * time.Millisecond)
	reads := func() int { l.mu.Lock(); defer l.mu.Unlock(); return l.reads }
	before := reads()
	for i := 0; i < 5; i++ {
		h.Notify(1)
		time.Sleep(5 * time.Millisecond)
	}
	if got := reads(); got != before {
		t.Fatalf("%d reads for stale wake-ups", got-before)
	}
	h.Notify(0)
	deadline := time.Now().Add(5 * time.Second)
	for reads() == before {
		if time.Now().After(deadline) {
			t.Fatal("a wake-up without an id did not read")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type trimLog struct {
	memLog
	calls chan [2]any
}

func (l *trimLog) TrimEvents(_ context.Context, olderThan time.Time, keepMax int) (int64, error) {
	l.calls <- [2]any{olderThan, keepMax}
	return 0, nil
}

// TestBusTrims: the bus trims the log at start and every TrimEvery, by
// age and count.
func TestBusTrims(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	l := &trimLog{calls: make(chan [2]any, 10)}
	b := NewBus(l, BusOptions{KeepFor: time.Hour, KeepMax: 77, TrimEvery: 30 * time.Millisecond, Now: func() time.Time { return now }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, time.Second); close(done) }()
	for i := 0; i < 2; i++ {
		select {
		case c := <-l.calls:
			if !c[0].(time.Time).Equal(now.Add(-time.Hour)) || c[1].(int) != 77 {
				t.Fatalf("trim %v", c)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("trim %d not called", i)
		}
	}
	cancel()
	<-done
}
