package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/store"
)

// eventStream is the event stream's moving parts: the bus producers
// publish to (queued, appended to the store's event log), the store's
// listener (PostgreSQL LISTEN, or in process for the GeoPackage) and the
// hub that reads the log and serves GET /events.
type eventStream struct {
	log *slog.Logger
	el  store.EventLog
	bus *events.Bus
	hub *events.Hub
}

// newEventStream builds the stream over st's event log; a store without
// one gets a stream that discards. GRIDD_EVENTS_KEEP (a duration, 24h)
// and GRIDD_EVENTS_KEEP_MAX (a count, 1000000) bound the log;
// GRIDD_EVENTS_POLL (5s) is how often the hub reads the log without a
// wake-up.
func newEventStream(st store.Store, getenv func(string) string, log *slog.Logger) (*eventStream, error) {
	el, ok := st.(store.EventLog)
	if !ok {
		log.Warn("the store keeps no event log; GET /events answers 503")
		return &eventStream{log: log}, nil
	}
	dur := func(name string) (time.Duration, error) {
		s := getenv(name)
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%w: %s=%q: want a positive duration", errUsage, name, s)
		}
		return d, nil
	}
	keep, err := dur("GRIDD_EVENTS_KEEP")
	if err != nil {
		return nil, err
	}
	poll, err := dur("GRIDD_EVENTS_POLL")
	if err != nil {
		return nil, err
	}
	keepMax := 0
	if s := getenv("GRIDD_EVENTS_KEEP_MAX"); s != "" {
		if keepMax, err = strconv.Atoi(s); err != nil || keepMax <= 0 {
			return nil, fmt.Errorf("%w: GRIDD_EVENTS_KEEP_MAX=%q: want a positive count", errUsage, s)
		}
	}
	e := &eventStream{log: log, el: el}
	e.hub = events.NewHub(el, events.HubOptions{Poll: poll, OnError: func(err error) { log.Warn("event log read", "err", err.Error()) }})
	e.bus = events.NewBus(el, events.BusOptions{KeepFor: keep, KeepMax: keepMax, OnAppended: e.hub.Notify,
		OnError: func(err error) { log.Warn("event log append (retrying)", "err", err.Error()) }})
	return e, nil
}

// publisher is what producers hold.
func (e *eventStream) publisher() events.Publisher {
	if e.bus == nil {
		return events.Discard{}
	}
	return e.bus
}

// stream is the hub GET /events follows (nil: none).
func (e *eventStream) stream() *events.Hub { return e.hub }

// start runs the listener and the hub until ctx ends (ending every stream,
// so the HTTP server can drain) and the bus until stop; stop, called after
// the HTTP server drained, appends what handlers published meanwhile (for
// up to 5 s) and waits for everything to end.
func (e *eventStream) start(ctx context.Context) (stop func()) {
	if e.bus == nil {
		return func() {}
	}
	hctx, cancelHub := context.WithCancel(ctx)
	bctx, cancelBus := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := e.el.ListenEvents(hctx, e.hub.Notify); err != nil && hctx.Err() == nil {
			e.log.Warn("event listener", "err", err.Error())
		}
	}()
	go func() { defer wg.Done(); e.hub.Run(hctx) }()
	go func() { defer wg.Done(); e.bus.Run(bctx, 5*time.Second) }()
	return func() {
		cancelHub()
		cancelBus()
		wg.Wait()
		if st := e.bus.Stats(); st.Dropped > 0 || st.Queued > 0 {
			e.log.Warn("events not stored", "dropped", st.Dropped, "queued_at_exit", st.Queued)
		}
	}
}

// follow subscribes, now, to the hub's live events of the types ts (made
// on this replica or, over LISTEN/NOTIFY, another) and returns the loop
// that calls changed with each until ctx ends — and with a zero Event when
// the subscription is cut off for being slow, before following again. Subscribing before
// the server says it is ready means no change made after that is missed.
// Without an event stream the loop returns at once (the polls notice).
func (e *eventStream) follow(ctx context.Context, changed func(events.Event), ts ...events.Type) (loop func()) {
	if e.hub == nil {
		return func() {}
	}
	f := events.Filter{Types: map[events.Type]bool{}}
	for _, t := range ts {
		f.Types[t] = true
	}
	sub, err := e.hub.Follow(ctx, -1, f)
	if err != nil {
		return func() {}
	}
	return func() {
		defer func() { sub.Close() }() // the subscription in hand at return
		for {
			ev, err := sub.Next(ctx, nil)
			switch {
			case err == nil:
				changed(ev)
			case ctx.Err() != nil:
				return
			case errors.Is(err, events.ErrSlow):
				changed(events.Event{})
				if sub, err = e.hub.Follow(ctx, -1, f); err != nil {
					return
				}
			default:
				return
			}
		}
	}
}
