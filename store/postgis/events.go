package postgis

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.EventLog = (*DB)(nil)

// eventsLock serialises appends to the event log (pg advisory lock key:
// "events" in ASCII), so that ids commit in increasing order.
const eventsLock = 0x6576656e7473

// ListenerName is the application_name of the LISTEN connection (tests
// find its backend by it).
const ListenerName = "gridd-events-listener"

// AppendEvents stores evs in one transaction under the append lock and
// notifies gridd_events with the highest id in the same transaction.
func (db *DB) AppendEvents(ctx context.Context, evs []events.Event) (int64, error) {
	data, err := store.CheckEvents(evs)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	var last int64
	err = db.write(ctx, "events", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(eventsLock)); err != nil {
			return err
		}
		types, ats, lons, lats, bodies := make([]string, len(evs)), make([]time.Time, len(evs)), make([]*float64, len(evs)), make([]*float64, len(evs)), make([]string, len(evs))
		keys := make([]*string, len(evs))
		for i, ev := range evs {
			types[i], ats[i], bodies[i] = string(ev.Type), ev.At.UTC(), string(data[i])
			if ev.Key != "" {
				k := ev.Key
				keys[i] = &k
			}
			if ev.Loc != nil {
				lon, lat := ev.Loc[0], ev.Loc[1]
				lons[i], lats[i] = &lon, &lat
			}
		}
		if err := tx.QueryRow(ctx, `WITH ins AS (
				INSERT INTO events (type, at, lon, lat, data, key, stored_at)
				SELECT t, a, x, y, d::jsonb, k, clock_timestamp()
				  FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[], $6::text[])
				  WITH ORDINALITY AS u(t, a, x, y, d, k, n) ORDER BY n
				ON CONFLICT (key) DO NOTHING
				RETURNING id)
			SELECT coalesce(max(id), 0) FROM ins`, types, ats, lons, lats, bodies, keys).Scan(&last); err != nil {
			return err
		}
		if last == 0 { // every event was stored before (a retry)
			return tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last)
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, store.EventsChannel, strconv.FormatInt(last, 10))
		return err
	})
	return last, err
}

// eventsDialect is the PostgreSQL dialect of the event log's reads: JSON is jsonb, read as text.
type eventsDialect struct{ whereDialect }

func (eventsDialect) JSONText(col string) string { return col + "::text" }

func (db *DB) eventLog() sqlstore.EventStore {
	return sqlstore.EventStore{Run: sqlRunner{db}, D: eventsDialect{}}
}

// ListenEvents LISTENs on gridd_events on a connection of its own and
// calls wake for every notification, and once after every (re)connect.
// A dropped connection (server restart, pg_terminate_backend) is
// reconnected with backoff from 100 ms to 5 s.
func (db *DB) ListenEvents(ctx context.Context, wake func(lastID int64)) error {
	wait := 100 * time.Millisecond
	for {
		err := db.listenOnce(ctx, wake, func() { wait = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return nil
		}
		_ = err
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, wake func(int64), connected func()) error {
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = ListenerName
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(c)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+store.EventsChannel); err != nil {
		return err
	}
	connected()
	wake(0) // catch up on what was appended while not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, _ := strconv.ParseInt(n.Payload, 10, 64)
		wake(id)
	}
}
