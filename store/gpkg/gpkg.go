// Package gpkg is gridd's embedded store: one OGC GeoPackage file (SQLite
// through the pure-Go modernc.org/sqlite driver) that GIS tools such as
// ogrinfo and QGIS open directly. Streets, communities, buildings,
// facilities, patrols and grids are GeoPackage feature tables with R-tree
// spatial indexes; plans, workers, departments and the patrol history are
// attribute tables. It implements store.Store with the same behaviour as
// store/postgis; the contract suite in store/storetest runs against both.
//
// The file is meant for the single service process: WAL lets readers run
// while one writer commits, and all writes go through one connection.
package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/paulmach/orb"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ store.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is an open GeoPackage store. It is safe for concurrent use.
type DB struct {
	// Stores is what both SQL stores share, written once over this
	// backend's dialects (plans.go, features.go, cases.go, jobs.go,
	// shifts.go, units.go, events.go); what stays this backend's own is
	// written on DB.
	sqlstore.Stores
	path string
	rd   *sql.DB // readers: a small pool, each connection sees a snapshot per transaction
	wr   *sql.DB // the one writer connection: writes are serialised here
	// listeners are woken after event appends commit (events.go).
	listeners eventListeners
}

// Open opens (creating if missing) the GeoPackage file at path and brings
// its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errs.E(errs.Invalid, "path", "%q is not a usable GeoPackage file name", path)
	}
	drv := &sqlite.Driver{}
	if err := registerFunctions(drv); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		// Statement journals and sorts in memory; a 32 MB page cache.
		"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)"
	db := newDB(path, sql.OpenDB(connector{drv, dsn}), sql.OpenDB(connector{drv, dsn + "&_txlock=immediate"}))
	db.wr.SetMaxOpenConns(1)
	db.rd.SetMaxOpenConns(4)
	db.rd.SetConnMaxIdleTime(time.Minute)
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// newDB is the store over the reader pool rd and the writer wr of the
// file at path.
func newDB(path string, rd, wr *sql.DB) *DB {
	db := &DB{path: path, rd: rd, wr: wr}
	db.Stores = sqlstore.Stores{PlanStore: sqlstore.NewPlanStore(backend{db}), FeatureStore: sqlstore.NewFeatureStore(backend{db}),
		CaseStore: db.cases(), JobStore: db.jobs(), ShiftStore: db.shifts(), UnitStore: db.units(), EventStore: db.eventLog()}
	return db
}

type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// Path returns the file the store writes.
func (db *DB) Path() string { return db.path }

// Close releases the store's connections.
func (db *DB) Close() error {
	return errors.Join(db.rd.Close(), db.wr.Close())
}

// Warm is a no-op: the file's connections start nothing worth warming
// (store.Warmer).
func (db *DB) Warm(ctx context.Context) error { return ctx.Err() }

// Ping checks the file can be read.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.rd.PingContext(ctx); err != nil {
		return wrapErr(ctx, err)
	}
	return nil
}

// write runs fn in one write transaction. Writers queue on the single
// writer connection (waiting honours ctx); the transaction is rolled back on
// any error or cancellation and committed otherwise.
func (db *DB) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return wrapErr(ctx, err)
	}
	tx, err := db.wr.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(ctx, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return wrapErr(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		_ = tx.Rollback()
		return wrapErr(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return wrapErr(ctx, err)
	}
	return nil
}

// read runs fn in one read transaction, so that several statements see
// one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.rd.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrapErr(ctx, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return wrapErr(ctx, err)
	}
	return nil
}

// wrapErr keeps domain errors and classifies the rest: cancellation stays
// recognisable (errors.Is context.Canceled), a busy or unreadable file is
// Unavailable, anything else Internal.
func wrapErr(ctx context.Context, err error) error { return sqlstore.WrapErr(ctx, err, classify) }

// classify is what the driver says of err, for sqlstore.WrapErr.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return errs.Wrap(errs.Unavailable, err, "the GeoPackage file is not available")
		case sqlite3.SQLITE_CONSTRAINT:
			return errs.Wrap(errs.Conflict, err, "the change conflicts with stored data")
		}
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) {
		return errs.Wrap(errs.Unavailable, err, "the GeoPackage file is not available")
	}
	return nil
}

// migrate applies the embedded migrations not yet recorded in
// gridd_migrations, each in its own transaction, in file-name order.
func (db *DB) migrate(ctx context.Context) error {
	migrations, err := store.Migrations(migrationFS)
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, migrations, migrateDialect{}, func(fn func(sqlq.Tx) error) error {
		return db.write(ctx, "migrate", func(tx *sql.Tx) error { return fn(sqlq.Std(tx)) })
	})
}

// migrateDialect records migrations in gridd_migrations (bookkeeping,
// not data: left out of gpkg_contents); the single writer connection
// serialises them.
type migrateDialect struct{}

func (migrateDialect) Table() string { return "gridd_migrations" }

func (migrateDialect) Create() string {
	return `CREATE TABLE IF NOT EXISTS gridd_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
}

func (migrateDialect) Lock(context.Context, sqlq.Tx) error { return nil }

func (migrateDialect) Apply(ctx context.Context, tx sqlq.Tx, m store.Migration) error {
	script, err := expand(m.SQL)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, script); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO gridd_migrations VALUES ($1, $2, $3)`, m.Version, m.Name, fmtTime(time.Now()))
	return err
}

// expand fills the migration templates: {{feature t type desc}} registers a
// feature table (contents, geometry column, R-tree index with the standard
// GeoPackage triggers); {{attributes t desc}} registers an attribute table.
func expand(src string) (string, error) {
	tmpl, err := template.New("m").Funcs(template.FuncMap{
		"feature":    featureSQL,
		"featurePK":  featurePKSQL,
		"attributes": attributesSQL,
	}).Parse(src)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

func attributesSQL(table, desc string) string {
	return fmt.Sprintf(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('%s', 'attributes', '%s', '%s');`,
		table, table, desc)
}

func featureSQL(table, geomType, desc string) string {
	return featurePKSQL(table, geomType, desc, "fid")
}

// featurePKSQL is featureSQL for a table whose integer primary key is
// called pk.
func featurePKSQL(table, geomType, desc, pk string) string {
	r := strings.NewReplacer("<t>", table, "<c>", "geom", "<i>", pk, "<type>", geomType, "<desc>", desc)
	return r.Replace(`
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES ('<t>', 'features', '<t>', '<desc>', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('<t>', '<c>', '<type>', 4326, 0, 0);
INSERT INTO gpkg_extensions VALUES ('<t>', '<c>', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
CREATE VIRTUAL TABLE rtree_<t>_<c> USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_<t>_<c>_insert AFTER INSERT ON <t>
  WHEN (new.<c> NOT NULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>), ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>));
END;
CREATE TRIGGER rtree_<t>_<c>_update1 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>), ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>));
END;
CREATE TRIGGER rtree_<t>_<c>_update2 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END;
CREATE TRIGGER rtree_<t>_<c>_update3 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>), ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>));
END;
CREATE TRIGGER rtree_<t>_<c>_update4 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id IN (OLD.<i>, NEW.<i>);
END;
CREATE TRIGGER rtree_<t>_<c>_delete AFTER DELETE ON <t>
  WHEN old.<c> NOT NULL
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END;
`)
}

// registerFunctions gives the connections the SQL functions the standard
// R-tree triggers call (as GDAL and SpatiaLite provide them).
func registerFunctions(drv *sqlite.Driver) error {
	bound := func(pick func(orb4 [4]float64) float64) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			blob, ok := args[0].([]byte)
			if !ok {
				return nil, nil
			}
			b, empty, err := envelope(blob)
			if err != nil || empty {
				return nil, err
			}
			return pick([4]float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}), nil
		}
	}
	fns := map[string]func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error){
		"ST_MinX": bound(func(e [4]float64) float64 { return e[0] }),
		"ST_MaxX": bound(func(e [4]float64) float64 { return e[1] }),
		"ST_MinY": bound(func(e [4]float64) float64 { return e[2] }),
		"ST_MaxY": bound(func(e [4]float64) float64 { return e[3] }),
		"ST_IsEmpty": func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			blob, ok := args[0].([]byte)
			if !ok {
				return nil, nil
			}
			_, empty, err := envelope(blob)
			if err != nil {
				return nil, err
			}
			if empty {
				return int64(1), nil
			}
			return int64(0), nil
		},
	}
	for name, fn := range fns {
		if err := drv.RegisterDeterministicScalarFunction(name, 1, fn); err != nil {
			return err
		}
	}
	// gridd_point(lon, lat) is the GeoPackage blob of a WGS84 point (NULL
	// for a NULL coordinate): the triggers of migration 011 keep the case
	// and incident geometries in step with their lon/lat columns.
	return drv.RegisterDeterministicScalarFunction("gridd_point", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		lon, ok1 := args[0].(float64)
		lat, ok2 := args[1].(float64)
		if !ok1 || !ok2 {
			return nil, nil
		}
		return encodeGeom(orb.Point{lon, lat})
	})
}

// timeLayout is fixed-width UTC with microseconds (PostgreSQL's
// precision), so stored times sort as text and compare as PostGIS does.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Truncate(time.Microsecond).Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }
