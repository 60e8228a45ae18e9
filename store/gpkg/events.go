package gpkg

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.EventLog = (*DB)(nil)

// eventListeners are the in-process listeners of the event log: the file
// belongs to one process, so a commit wakes them directly.
type eventListeners struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(int64)
}

func (l *eventListeners) add(fn func(int64)) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = map[int]func(int64){}
	}
	l.next++
	l.fns[l.next] = fn
	return l.next
}

func (l *eventListeners) remove(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fns, id)
}

func (l *eventListeners) wake(last int64) {
	l.mu.Lock()
	fns := make([]func(int64), 0, len(l.fns))
	for _, fn := range l.fns {
		fns = append(fns, fn)
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn(last)
	}
}

// AppendEvents stores evs in one transaction on the writer connection
// (appends are serialised there) and wakes the listeners after commit.
func (db *DB) AppendEvents(ctx context.Context, evs []events.Event) (int64, error) {
	data, err := store.CheckEvents(evs)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	var last int64
	stored := fmtTime(time.Now())
	err = db.write(ctx, "events", func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO events (type, at, lon, lat, data, key, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, ev := range evs {
			var lon, lat any
			if ev.Loc != nil {
				lon, lat = ev.Loc[0], ev.Loc[1]
			}
			var key any
			if ev.Key != "" {
				key = ev.Key
			}
			res, err := st.ExecContext(ctx, string(ev.Type), fmtTime(ev.At), lon, lat, string(data[i]), key, stored)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // stored before (a retry)
			}
			if last, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		if last == 0 {
			return tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	db.listeners.wake(last)
	return last, nil
}

// eventsDialect is the SQLite dialect of the event log's reads: JSON is text.
type eventsDialect struct{ whereDialect }

func (eventsDialect) JSONText(col string) string { return col }

func (db *DB) eventLog() sqlstore.EventStore {
	return sqlstore.EventStore{Run: sqlRunner{db}, D: eventsDialect{}}
}

// ListenEvents calls wake after every append of this process (the file
// has no other writers) and once at the start; it returns when ctx ends.
func (db *DB) ListenEvents(ctx context.Context, wake func(lastID int64)) error {
	id := db.listeners.add(wake)
	defer db.listeners.remove(id)
	wake(0)
	<-ctx.Done()
	return nil
}
