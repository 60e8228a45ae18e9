package events

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
)

// Log is the durable event log the hub reads (store.EventLog is one).
type Log interface {
	// EventsSince returns at most limit events with ids above afterID,
	// in id order. A log hands out ids in commit order, so a reader that
	// saw id n will never later find an id below n appear.
	EventsSince(ctx context.Context, afterID int64, limit int) ([]Event, error)
	// LastEventID is the highest id stored, 0 when none.
	LastEventID(ctx context.Context) (int64, error)
}

// Filter selects events for a subscriber. The zero Filter selects every
// event.
type Filter struct {
	Types map[Type]bool // nil or empty: every type
	BBox  *orb.Bound    // nil: everywhere; events without Loc always pass
}

// Match reports whether f selects ev.
func (f Filter) Match(ev *Event) bool {
	if len(f.Types) > 0 && !f.Types[ev.Type] {
		return false
	}
	if f.BBox != nil && ev.Loc != nil && !f.BBox.Contains(*ev.Loc) {
		return false
	}
	return true
}

// Errors a subscription ends with.
var (
	// ErrSlow: the subscriber did not keep up and was cut off (its buffer
	// filled); it may follow again from the last id it received.
	ErrSlow = errors.New("events: subscriber too slow, cut off")
	// ErrClosed: the hub stopped (the service is shutting down).
	ErrClosed = errors.New("events: stream closed")
	// ErrTick: Next's tick fired before an event came (send a heartbeat).
	ErrTick = errors.New("events: tick")
)

// HubOptions tune a Hub; zero values take the defaults.
type HubOptions struct {
	Buffer  int           // events buffered per subscriber before it is cut off; 1024
	Page    int           // events read from the log per query; 500
	Poll    time.Duration // how often the log is read without a wake-up (safety net); 5 s
	OnError func(error)   // log read failures (nil: ignored); the hub retries
}

// Hub fans the log's events out to subscribers. It reads the log after
// every wake-up (Notify: the store's LISTEN/NOTIFY or in-process signal)
// and every Poll, from the last id it delivered, so events of this
// replica and of every other replica take one path, and a missed wake-up
// only delays delivery. A subscriber whose buffer fills is cut off, never
// waited for.
type Hub struct {
	log  Log
	opt  HubOptions
	wake chan struct{}

	mu    sync.Mutex
	last  int64 // the highest id delivered
	subs  map[*Sub]struct{}
	ready chan struct{} // closed once last is known
	done  bool

	delivered, cutOff, readErrors atomic.Int64
	hint                          atomic.Int64 // the highest id a wake-up named
	force                         atomic.Bool  // a wake-up named no id: read
}

// NewHub returns a hub over log; start it with Run.
func NewHub(log Log, opt HubOptions) *Hub {
	if opt.Buffer <= 0 {
		opt.Buffer = 1024
	}
	if opt.Page <= 0 {
		opt.Page = 500
	}
	if opt.Poll <= 0 {
		opt.Poll = 5 * time.Second
	}
	return &Hub{log: log, opt: opt, wake: make(chan struct{}, 1), subs: map[*Sub]struct{}{}, ready: make(chan struct{})}
}

// Notify wakes the hub to read the log; it never blocks. lastID is the
// highest id the notifier knows of, 0 when unknown: a wake-up naming only
// ids already delivered (this replica's own append, then its NOTIFY)
// costs no read.
func (h *Hub) Notify(lastID int64) {
	if lastID <= 0 {
		h.force.Store(true)
	}
	for cur := h.hint.Load(); lastID > cur && !h.hint.CompareAndSwap(cur, lastID); cur = h.hint.Load() {
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// HubStats are a hub's counters.
type HubStats struct {
	LastID      int64 // highest id delivered
	Subscribers int
	Delivered   int64 // events handed to subscribers
	CutOff      int64 // subscribers cut off as too slow
	ReadErrors  int64 // failed reads of the log (retried)
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HubStats{LastID: h.last, Subscribers: len(h.subs), Delivered: h.delivered.Load(), CutOff: h.cutOff.Load(), ReadErrors: h.readErrors.Load()}
}

// Run reads and fans out until ctx ends, then closes every subscription
// (ErrClosed). It starts from the log's last id: subscribers that want
// older events Follow from an id.
func (h *Hub) Run(ctx context.Context) {
	defer h.closeAll()
	backoff := newBackoff()
	for {
		last, err := h.log.LastEventID(ctx)
		if err == nil {
			h.mu.Lock()
			h.last = last
			h.mu.Unlock()
			close(h.ready)
			break
		}
		h.fail(ctx, err)
		if !backoff.sleep(ctx) {
			return
		}
	}
	t := time.NewTicker(h.opt.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
			if !h.force.Swap(false) {
				h.mu.Lock()
				last := h.last
				h.mu.Unlock()
				if h.hint.Load() <= last {
					continue
				}
			}
		case <-t.C:
		}
		if err := h.catchUp(ctx); err != nil {
			h.fail(ctx, err)
			if !backoff.sleep(ctx) {
				return
			}
			h.Notify(0) // try again
			continue
		}
		backoff.reset()
	}
}

func (h *Hub) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	h.readErrors.Add(1)
	if h.opt.OnError != nil {
		h.opt.OnError(err)
	}
}

// catchUp reads the log from the last delivered id until it is exhausted.
func (h *Hub) catchUp(ctx context.Context) error {
	for {
		h.mu.Lock()
		after := h.last
		h.mu.Unlock()
		evs, err := h.log.EventsSince(ctx, after, h.opt.Page)
		if err != nil {
			return err
		}
		h.deliver(evs)
		if len(evs) < h.opt.Page {
			return nil
		}
	}
}

// deliver hands evs (in id order) to every matching subscriber, under the
// lock that Follow registers under: a subscriber gets exactly the events
// above the last id at its registration.
func (h *Hub) deliver(evs []Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range evs {
		ev := evs[i]
		if ev.ID <= h.last {
			continue
		}
		for s := range h.subs {
			if !s.filter.Match(&ev) {
				continue
			}
			select {
			case s.ch <- ev:
				h.delivered.Add(1)
			default:
				h.cutOff.Add(1)
				h.removeLocked(s, ErrSlow)
			}
		}
		h.last = ev.ID
	}
}

func (h *Hub) removeLocked(s *Sub, reason error) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	s.reason = reason
	close(s.ch)
}

func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	for s := range h.subs {
		h.removeLocked(s, ErrClosed)
	}
}

// Follow subscribes with filter f. With afterID ≥ 0 the subscription
// first replays the log's events above afterID, then continues live,
// with no gap and no duplicate (events come in id order); with afterID <
// 0 it is live only. It waits for the hub's start (ctx bounds the wait).
// Close the subscription when done.
func (h *Hub) Follow(ctx context.Context, afterID int64, f Filter) (*Sub, error) {
	select {
	case <-h.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return nil, ErrClosed
	}
	s := &Sub{hub: h, filter: f, ch: make(chan Event, h.opt.Buffer), live: h.last, cursor: afterID}
	if afterID < 0 || afterID >= h.last {
		s.cursor = max(afterID, h.last)
		s.replayed = true
	}
	h.subs[s] = struct{}{}
	return s, nil
}

// Sub is one subscription. Next is for one goroutine.
type Sub struct {
	hub    *Hub
	filter Filter
	ch     chan Event
	reason error // set before ch is closed, under hub.mu

	live     int64 // the hub's last id at registration: ch holds ids above it
	cursor   int64 // the highest id read (replayed or live)
	replayed bool  // replay done, reading ch
	pending  []Event
}

// Next returns the next matching event. When tick fires first it
// returns ErrTick; when the subscription ends, ErrSlow or ErrClosed (after
// the events buffered before); a log read failure during replay is
// returned as it is.
func (s *Sub) Next(ctx context.Context, tick <-chan time.Time) (Event, error) {
	for !s.replayed {
		if len(s.pending) > 0 {
			ev := s.pending[0]
			s.pending = s.pending[1:]
			return ev, nil
		}
		evs, err := s.hub.log.EventsSince(ctx, s.cursor, s.hub.opt.Page)
		if err != nil {
			return Event{}, err
		}
		for i := range evs {
			if evs[i].ID > s.live {
				break // the live buffer has it
			}
			s.cursor = evs[i].ID
			if s.filter.Match(&evs[i]) {
				s.pending = append(s.pending, evs[i])
			}
		}
		if len(evs) < s.hub.opt.Page || s.cursor >= s.live || len(evs) > 0 && evs[len(evs)-1].ID > s.live {
			s.replayed = true
			s.cursor = max(s.cursor, s.live)
		}
	}
	if len(s.pending) > 0 {
		ev := s.pending[0]
		s.pending = s.pending[1:]
		return ev, nil
	}
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				s.hub.mu.Lock()
				err := s.reason
				s.hub.mu.Unlock()
				return Event{}, err
			}
			if ev.ID <= s.cursor {
				continue
			}
			s.cursor = ev.ID
			return ev, nil
		case <-tick:
			return Event{}, ErrTick
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// LastID is the id of the last event Next returned or skipped.
func (s *Sub) LastID() int64 { return s.cursor }

// Close ends the subscription.
func (s *Sub) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.removeLocked(s, ErrClosed)
}

// backoff doubles a wait from 100 ms to 5 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 100 * time.Millisecond} }

func (b *backoff) reset() { b.d = 100 * time.Millisecond }

// sleep waits the current delay (false when ctx ended) and doubles it.
func (b *backoff) sleep(ctx context.Context) bool {
	t := time.NewTimer(b.d)
	defer t.Stop()
	b.d = min(2*b.d, 5*time.Second)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
