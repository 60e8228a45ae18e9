package main

import (
	"context"
	"errors"

	"github.com/gridd/gridd/events"
)

// followShifts calls changed for every shifts.changed event the hub
// streams (made on this replica or, over LISTEN/NOTIFY, another), and
// once more when the subscription is cut off for being slow, until ctx
// ends. It is followPlans for the duty roster.
func (e *eventStream) followShifts(ctx context.Context, changed func(context.Context)) {
	if e.hub == nil {
		return
	}
	f := events.Filter{Types: map[events.Type]bool{events.ShiftsChanged: true}}
	sub, err := e.hub.Follow(ctx, -1, f)
	if err != nil {
		return
	}
	defer func() { sub.Close() }() // the subscription in hand at return
	for {
		_, err := sub.Next(ctx, nil)
		switch {
		case err == nil:
			changed(ctx)
		case ctx.Err() != nil:
			return
		case errors.Is(err, events.ErrSlow):
			changed(ctx)
			if sub, err = e.hub.Follow(ctx, -1, f); err != nil {
				return
			}
		default:
			return
		}
	}
}
