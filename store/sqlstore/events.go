package sqlstore

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// EventsDialect is what the event log's reads say differently: how its
// JSON column is read.
type EventsDialect interface {
	TimeDialect
	// JSONText is the JSON column col read as text.
	JSONText(col string) string
}

// EventStore is store.EventLog's reads and trimming over a backend's Runner
// in dialect D (each backend appends and listens its own way).
type EventStore struct {
	Run Runner
	D   EventsDialect
}

// EventsSince reads events above afterID in id order.
func (s EventStore) EventsSince(ctx context.Context, afterID int64, limit int) ([]events.Event, error) {
	if err := store.CheckEventsLimit(limit); err != nil {
		return nil, err
	}
	out := make([]events.Event, 0, 16)
	err := s.Run.Once(ctx, func(tx sqlq.Tx) error {
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			var ev events.Event
			var lon, lat *float64
			var data string
			if err := r.Scan(&ev.ID, &ev.Type, s.D.ScanTime(&ev.At), &lon, &lat, &data); err != nil {
				return err
			}
			ev.Data = []byte(data)
			if lon != nil && lat != nil {
				ev.Loc = &orb.Point{*lon, *lat}
			}
			out = append(out, ev)
			return nil
		}, `SELECT id, type, at, lon, lat, `+s.D.JSONText("data")+` FROM events WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LastEventID returns the highest id stored.
func (s EventStore) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.Run.Once(ctx, func(tx sqlq.Tx) error {
		return tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&id)
	})
	return id, err
}

// TrimEvents deletes old events and those beyond the newest keepMax.
func (s EventStore) TrimEvents(ctx context.Context, olderThan time.Time, keepMax int) (int64, error) {
	return write(ctx, s.Run, "events-trim", func(tx sqlq.Tx) (int64, error) {
		n, err := tx.Exec(ctx, `DELETE FROM events WHERE stored_at < $1`, s.D.Time(olderThan))
		if err != nil || keepMax <= 0 {
			return n, err
		}
		k, err := tx.Exec(ctx, `DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - $1`, int64(keepMax))
		return n + k, err
	})
}
