package store

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
)

// EventLog is the durable log behind the event stream (issue 13): events
// appended after the changes they describe committed, read back in id
// order by every replica's hub. A store that has one implements it
// beside Store (the service asserts it, as it does cases.Store).
type EventLog interface {
	// AppendEvents stores evs in one transaction, giving them increasing
	// ids (in evs' order) and returns the highest. Ids become visible in
	// increasing order (appends are serialised), so a reader that read up
	// to id n never later finds a lower id. Listeners are woken after the
	// commit (PostGIS: pg_notify('gridd_events', id) in the transaction).
	// An event whose Key is stored already is skipped (a retried batch);
	// the answer is then still the highest id stored.
	// Invalid for an event without a type, with data that is not JSON or a
	// location that is not a WGS84 lon/lat.
	AppendEvents(ctx context.Context, evs []events.Event) (int64, error)
	// EventsSince returns at most limit (1..10000) events with ids above
	// afterID, in id order.
	EventsSince(ctx context.Context, afterID int64, limit int) ([]events.Event, error)
	// LastEventID returns the highest id stored, 0 when none.
	LastEventID(ctx context.Context) (int64, error)
	// TrimEvents deletes events stored before olderThan and every event
	// but the newest keepMax (0: no count bound), returning how many.
	TrimEvents(ctx context.Context, olderThan time.Time, keepMax int) (int64, error)
	// ListenEvents calls wake after events were appended — by this
	// process, or (PostGIS) by any replica — and once after it (re)connects,
	// so the reader catches up on what it may have missed. It reconnects
	// with backoff when the connection drops and returns when ctx ends.
	ListenEvents(ctx context.Context, wake func(lastID int64)) error
}

// EventsChannel is the PostgreSQL NOTIFY channel of the event log.
const EventsChannel = "gridd_events"

// CheckEvents validates events for AppendEvents and returns their data,
// compacted JSON ("null" for none).
func CheckEvents(evs []events.Event) ([][]byte, error) {
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		if ev.Type == "" || len(ev.Type) > 100 {
			return nil, errs.E(errs.Invalid, "type", "event %d: a type of 1 to 100 bytes is required", i)
		}
		if len(ev.Key) > 200 {
			return nil, errs.E(errs.Invalid, "key", "event %d: a key of at most 200 bytes", i)
		}
		if ev.At.IsZero() {
			return nil, errs.E(errs.Invalid, "at", "event %d: the time is required", i)
		}
		if ev.Loc != nil && !lonLat(*ev.Loc) {
			return nil, errs.E(errs.Invalid, "loc", "event %d: %v is not a WGS84 lon/lat", i, *ev.Loc)
		}
		if len(ev.Data) == 0 {
			out[i] = []byte("null")
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, ev.Data); err != nil {
			return nil, errs.E(errs.Invalid, "data", "event %d: the data is not JSON: %v", i, err)
		}
		out[i] = b.Bytes()
	}
	return out, nil
}

// CheckEventsLimit validates EventsSince's limit.
func CheckEventsLimit(limit int) error {
	if limit < 1 || limit > 10000 {
		return errs.E(errs.Invalid, "limit", "want 1 to 10000, got %d", limit)
	}
	return nil
}
