// Package postgis is gridd's system of record: PostgreSQL with PostGIS
// through a pgx v5 pool. The schema comes from embedded, ordered
// migrations (each in one transaction, recorded in schema_migrations);
// geometry columns are typed and GiST-indexed; bulk imports use COPY in one
// transaction. It implements store.Store; the contract suite in
// store/storetest runs against it and the GeoPackage store alike.
package postgis

import (
	"context"
	"embed"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// StatementTimeout bounds every statement unless the DSN sets its own
// statement_timeout: a stuck query fails (Unavailable) instead of holding
// a connection for ever.
const StatementTimeout = 30 * time.Second

// DefaultPoolConns is the pool size unless the DSN sets pool_max_conns:
// an intake holds its connection for a few round trips and a commit, so a
// pool of pgxpool's default (the number of CPUs, at least 4) queues
// requests long before the server is busy (see docs/perf.md).
func DefaultPoolConns() int32 { return int32(max(16, 4*runtime.NumCPU())) }

// DB is an open PostGIS store. It is safe for concurrent use.
type DB struct {
	// Stores is what both SQL stores share, written once over this
	// backend's dialects (plans.go, features.go, cases.go, jobs.go,
	// shifts.go, units.go, events.go); what stays this backend's own is
	// written on DB.
	sqlstore.Stores
	pool *pgxpool.Pool
	// kpiPar admits the KPI computations that may take a second
	// connection; the rest run their two scans one after the other, so
	// callers waiting on the pool for their second connection cannot fill
	// it and deadlock.
	kpiPar chan struct{}
	// minConnsSet says the DSN sets pool_min_conns (Warm keeps it).
	minConnsSet bool
}

// Open connects to dsn, checks the server answers and brings the schema up
// to date. An unreachable server is an Unavailable error.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "DATABASE_URL is not a valid PostgreSQL connection string")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.Itoa(int(StatementTimeout / time.Millisecond))
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultPoolConns()
	}
	cfg.AfterConnect = registerGeometry
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	db := &DB{pool: pool, kpiPar: make(chan struct{}, 2), minConnsSet: strings.Contains(dsn, "pool_min_conns")}
	db.Stores = sqlstore.Stores{PlanStore: sqlstore.NewPlanStore(backend{db}), FeatureStore: sqlstore.NewFeatureStore(backend{db}),
		CaseStore: db.cases(), JobStore: db.jobs(), ShiftStore: db.shifts(), UnitStore: db.units(), EventStore: db.eventLog()}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, wrapErr(ctx, err)
	}
	// Connections opened before the migration created the postgis
	// extension lack the geometry type: start afresh.
	pool.Reset()
	return db, nil
}

// registerGeometry teaches a connection the geometry type: values are
// exchanged as EWKB bytes in binary format, which is what COPY needs.
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid *uint32
	if err := conn.QueryRow(ctx, `SELECT to_regtype('geometry')::oid`).Scan(&oid); err != nil {
		return err
	}
	if oid != nil {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: *oid, Codec: pgtype.ByteaCodec{}})
	}
	return nil
}

// Close releases the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks the server answers.
func (db *DB) Ping(ctx context.Context) error {
	return wrapErr(ctx, db.pool.Ping(ctx))
}

// write runs fn in one transaction, committed when fn succeeds and ctx is
// live, rolled back otherwise.
func (db *DB) write(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrapErr(ctx, err)
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return wrapErr(ctx, err)
	}
	return nil
}

// read runs fn in a read-only, repeatable-read transaction so that several
// statements see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	return wrapErr(ctx, err)
}

// wrapErr keeps domain errors and classifies the rest: cancellation and
// anything a retry may cure (connection loss, timeouts, serialization
// failures, a server shutting down) are Unavailable; constraint violations
// are Conflict; anything else Internal.
func wrapErr(ctx context.Context, err error) error { return sqlstore.WrapErr(ctx, err, classify) }

// classify is what the driver says of err, for sqlstore.WrapErr.
func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505" || pe.Code == "23503" || pe.Code == "23P01":
			return errs.Wrap(errs.Conflict, err, "the change conflicts with stored data")
		case strings.HasPrefix(pe.Code, "23"):
			return errs.Wrap(errs.Invalid, err, "the data breaks a database constraint")
		case pe.Code == "57014", pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03",
			strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"), strings.HasPrefix(pe.Code, "57P"):
			return errs.Wrap(errs.Unavailable, err, "the database is not available; retry")
		}
		return nil
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgx.ErrTxClosed) ||
		strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed") {
		return errs.Wrap(errs.Unavailable, err, "the database is not available; retry")
	}
	return nil
}

// migrationLock serialises migrations of concurrent Opens (pg advisory
// lock key: "gridd" in ASCII).
const migrationLock = 0x6772696464

// migrate applies the embedded migrations not yet in schema_migrations,
// each in its own transaction, in file-name order.
func (db *DB) migrate(ctx context.Context) error {
	migrations, err := store.Migrations(migrationFS)
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, migrations, migrateDialect{}, func(fn func(sqlq.Tx) error) error {
		return db.write(ctx, "migrate", func(tx pgx.Tx) error { return fn(sqlq.Pgx(tx)) })
	})
}

// migrateDialect records migrations in schema_migrations under an
// advisory lock, which serialises the migrations of concurrent Opens.
type migrateDialect struct{}

func (migrateDialect) Table() string { return "schema_migrations" }

func (migrateDialect) Create() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`
}

func (migrateDialect) Lock(ctx context.Context, tx sqlq.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock))
	return err
}

func (migrateDialect) Apply(ctx context.Context, tx sqlq.Tx, m store.Migration) error {
	// The simple protocol runs a multi-statement script in one go.
	if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
	return err
}

// timeLayout is the fixed-width UTC text both stores use for times in
// feature properties.
const timeLayout = "2006-01-02T15:04:05.000000Z"
