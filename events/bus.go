package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Appender is the write side of the log (store.EventLog is one).
type Appender interface {
	// AppendEvents stores evs in one transaction with increasing ids,
	// returning the highest, and wakes the log's listeners after commit.
	AppendEvents(ctx context.Context, evs []Event) (int64, error)
	// TrimEvents deletes the events stored before olderThan and all but
	// the newest keepMax (0: no count bound); it returns how many went.
	TrimEvents(ctx context.Context, olderThan time.Time, keepMax int) (int64, error)
}

// BusOptions tune a Bus; zero values take the defaults.
type BusOptions struct {
	Queue     int           // events held while the log is slow or down; beyond, new events are dropped (counted); 10000
	Batch     int           // events appended per transaction at most; 500
	KeepFor   time.Duration // events older than this are trimmed; 24 h
	KeepMax   int           // at most this many events are kept; 1,000,000
	TrimEvery time.Duration // how often to trim; 10 min
	OnError   func(error)   // append and trim failures (retried); nil: ignored
	// OnAppended, when set, is called with the highest id after each
	// append (a hub in this process can Notify without waiting for the
	// store's signal).
	OnAppended func(lastID int64)
	Now        func() time.Time // the trim clock; time.Now
}

// Bus is the Publisher producers hold: Publish queues the events and
// returns at once; Run appends the queue to the log in order, in batches,
// one transaction each. Each event gets a unique Key, so a batch retried
// after a lost commit answer is stored once. When the log fails (the database is down) the
// batch is retried with backoff, in order, while new events queue; a full
// queue drops new events and counts them (BusStats.Dropped), so a long
// outage costs events, never the callers' latency.
type Bus struct {
	log Appender
	opt BusOptions

	mu    sync.Mutex
	queue []Event
	kick  chan struct{}
	id    string // this bus's key prefix
	seq   int64

	published, appended, dropped, failures atomic.Int64
}

// NewBus returns a bus appending to log; start it with Run.
func NewBus(log Appender, opt BusOptions) *Bus {
	if opt.Queue <= 0 {
		opt.Queue = 10000
	}
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if opt.KeepFor <= 0 {
		opt.KeepFor = 24 * time.Hour
	}
	if opt.KeepMax <= 0 {
		opt.KeepMax = 1_000_000
	}
	if opt.TrimEvery <= 0 {
		opt.TrimEvery = 10 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	return &Bus{log: log, opt: opt, kick: make(chan struct{}, 1), id: hex.EncodeToString(r[:])}
}

// Publish queues evs (stamping a zero At with the current time); it
// never blocks on the log.
func (b *Bus) Publish(_ context.Context, evs ...Event) {
	if len(evs) == 0 {
		return
	}
	b.published.Add(int64(len(evs)))
	b.mu.Lock()
	room := b.opt.Queue - len(b.queue)
	n := min(room, len(evs))
	for _, ev := range evs[:max(n, 0)] {
		if ev.At.IsZero() {
			ev.At = time.Now().UTC()
		}
		ev.ID = 0
		b.seq++
		ev.Key = b.id + ":" + strconv.FormatInt(b.seq, 10)
		b.queue = append(b.queue, ev)
	}
	b.mu.Unlock()
	if n < len(evs) {
		b.dropped.Add(int64(len(evs) - max(n, 0)))
	}
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// BusStats are a bus's counters.
type BusStats struct {
	Published int64 // events handed to Publish
	Appended  int64 // events stored in the log
	Dropped   int64 // events dropped because the queue was full
	Failures  int64 // failed appends (each retried)
	Queued    int   // events waiting now
}

// Stats returns the bus's counters.
func (b *Bus) Stats() BusStats {
	b.mu.Lock()
	q := len(b.queue)
	b.mu.Unlock()
	return BusStats{Published: b.published.Load(), Appended: b.appended.Load(), Dropped: b.dropped.Load(), Failures: b.failures.Load(), Queued: q}
}

// Run appends queued events until ctx ends, then tries for up to drain
// to append what is still queued (events published during a graceful
// shutdown), and returns.
func (b *Bus) Run(ctx context.Context, drain time.Duration) {
	// Trimming a day's events may take a while: beside the appends.
	trimmed := make(chan struct{})
	go func() {
		defer close(trimmed)
		t := time.NewTicker(b.opt.TrimEvery)
		defer t.Stop()
		for {
			b.trim(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	defer func() { <-trimmed }()
	bo := newBackoff()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), drain)
			defer cancel()
			if err := b.flush(dctx); err != nil && b.opt.OnError != nil {
				b.opt.OnError(err)
			}
			return
		case <-b.kick:
		}
		for {
			err := b.flush(ctx)
			if err == nil {
				bo.reset()
				break
			}
			if ctx.Err() != nil {
				break
			}
			b.failures.Add(1)
			if b.opt.OnError != nil {
				b.opt.OnError(err)
			}
			if !bo.sleep(ctx) {
				break
			}
		}
	}
}

// flush appends the whole queue, a batch per transaction, in order; a
// failed batch stays at the head of the queue.
func (b *Bus) flush(ctx context.Context) error {
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.opt.Batch)
		batch := b.queue[:n:n]
		b.mu.Unlock()
		if n == 0 {
			return nil
		}
		last, err := b.log.AppendEvents(ctx, batch)
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.queue = b.queue[n:]
		if len(b.queue) == 0 {
			b.queue = nil
		}
		b.mu.Unlock()
		b.appended.Add(int64(n))
		if b.opt.OnAppended != nil {
			b.opt.OnAppended(last)
		}
	}
}

func (b *Bus) trim(ctx context.Context) {
	if _, err := b.log.TrimEvents(ctx, b.opt.Now().Add(-b.opt.KeepFor), b.opt.KeepMax); err != nil && ctx.Err() == nil && b.opt.OnError != nil {
		b.opt.OnError(err)
	}
}
