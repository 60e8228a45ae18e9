package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/events"
)

// sliceLog is a minimal in-memory log.
type sliceLog struct{ evs []events.Event }

func (l *sliceLog) EventsSince(_ context.Context, after int64, limit int) ([]events.Event, error) {
	var out []events.Event
	for _, ev := range l.evs {
		if ev.ID > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *sliceLog) LastEventID(context.Context) (int64, error) { return int64(len(l.evs)), nil }

// A client reconnecting with Last-Event-ID 1 gets what it missed from the
// log, filtered, then live events.
func ExampleHub_Follow() {
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	p := orb.Point{118.62, 32.05}
	log := &sliceLog{}
	for i, t := range []events.Type{events.CaseChanged, events.UnitPosition, events.CaseChanged} {
		ev := events.New(t, at, &p, map[string]int{"n": i})
		ev.ID = int64(i + 1)
		log.evs = append(log.evs, ev)
	}
	hub := events.NewHub(log, events.HubOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)

	sub, _ := hub.Follow(ctx, 1, events.Filter{Types: map[events.Type]bool{events.CaseChanged: true}})
	defer sub.Close()
	ev, _ := sub.Next(ctx, nil)
	fmt.Println(ev.ID, ev.Type, string(ev.Data))
	// Output: 3 case.changed {"n":2}
}
