package postgis

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store"
)

var _ store.Warmer = (*DB)(nil)

// warmGeographySQL makes a fresh backend load PostGIS and set up what its
// geography functions need (the library, SRID 4326's spheroid). Measured
// on the shared 2-core machine, the first PostGIS call of a backend took
// 50–120 ms and its first geography call another 50–100 ms, against
// 1.7 ms for the same call after (docs/perf.md, "The first seconds").
const warmGeographySQL = `SELECT ST_DWithin(ST_SetSRID(ST_MakePoint(118.6, 32.06), 4326)::geography,
	ST_SetSRID(ST_MakePoint(118.6, 32.07), 4326)::geography, 50)`

// hotStatements are the intake path's statements (store.IntakeFlow on
// this store): prepared on every warm connection under their own text,
// which pgx then uses instead of preparing them on first use, and which
// loads their tables' and indexes' descriptions into the backend.
func hotStatements() []string {
	near, _ := nearQuery("", orb.Point{}, 0, time.Time{})
	return []string{lockSQL, near, insertAttachedNewSQL, insertAttachedDupSQL}
}

// Warm readies the store for serving: it replaces the pool by one that
// keeps all its connections open (MinConns = MaxConns unless the DSN sets
// pool_min_conns, so connections past their lifetime are replaced in the
// background one at a time, not on a request's path) and whose every new
// connection is warmed (warmConn) before use, and it returns once every
// connection is open and warm. Without it a fresh pool opens connections
// as requests queue for them and each one's first requests pay for
// PostGIS' start in that backend: at 1,000 reports/s the first second's
// p99 was about a second. Call it once, before the store is used
// concurrently (gridd calls it before it serves).
func (db *DB) Warm(ctx context.Context) error {
	cfg := db.pool.Config()
	if !db.minConnsSet {
		cfg.MinConns = cfg.MaxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if err := registerGeometry(ctx, c); err != nil {
			return err
		}
		return warmConn(ctx, c)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return wrapErr(ctx, err)
	}
	if err := fill(ctx, pool); err != nil {
		pool.Close()
		return wrapErr(ctx, err)
	}
	old := db.pool
	db.pool = pool
	old.Close()
	return nil
}

// warmConn runs the geography warm-up and prepares the hot statements on
// a new connection.
func warmConn(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, warmGeographySQL); err != nil {
		return err
	}
	for _, sql := range hotStatements() {
		if _, err := c.Prepare(ctx, sql, sql); err != nil {
			return err
		}
	}
	_ = warmInserts(ctx, c) // best effort: a failure leaves the backend as cold as before
	return nil
}

// warmInserts runs intake's two inserts (a new case, then a duplicate on
// it) once in a transaction it rolls back: a statement's first execution
// in a backend opens its tables' indexes and constraints and plans it
// (40–60 ms under load, docs/perf.md), which would otherwise fall on one
// request a connection. Nothing is written; the sequences advance (one
// incident and case number each, as an ON CONFLICT retry does).
func warmInserts(ctx context.Context, c *pgx.Conn) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rolled back on purpose
	at := time.Now().UTC()
	loc := orb.Point{118.6, 32.06}
	in := &cases.Incident{Channel: cases.Hotline, ExternalID: "gridd-warm-up", Category: "warm", ReportedAt: at, ReceivedAt: at,
		Located: true, Loc: loc, LocatedBy: cases.ByPoint, Street: "warm", Community: "warm", Grid: "warm"}
	open := &cases.Case{Stage: cases.Reported, Path: cases.OnSite, Category: "warm", Channel: cases.Hotline, Loc: loc,
		Street: "warm", Community: "warm", Grid: "warm", ReportedAt: at, DueAt: at, UpdatedAt: at}
	ev := &cases.Event{Action: cases.ActOpen, To: cases.Reported, Actor: "warm", Role: "warm", At: at}
	t := newCaseTx(tx)
	_, id, ok, err := t.InsertAttached(ctx, in, open, ev)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("warm-up incident already stored")
	}
	dup := *in
	dup.ExternalID += "-2"
	link := &cases.Event{Action: cases.ActLink, To: cases.Reported, Actor: "warm", Role: "warm", At: at, Case: id}
	_, _, _, err = t.InsertAttached(ctx, &dup, nil, link)
	return err
}

// fill holds every connection the pool may open at once, so each is
// opened (and warmed by AfterConnect) before fill returns.
func fill(ctx context.Context, pool *pgxpool.Pool) error {
	n := int(pool.Config().MaxConns)
	conns := make([]*pgxpool.Conn, n)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pool.Acquire(ctx)
			if err != nil {
				errc <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Release()
		}
	}
	close(errc)
	return <-errc
}
