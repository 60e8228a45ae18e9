package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ cases.Store = (*DB)(nil)

// casesDialect is the PostgreSQL dialect of the cases' SQL: points are
// the GiST-indexed geom column, a read for update locks its row, the
// flows' keys are advisory locks and open cases near a point are found by
// the index and ST_DWithin.
type casesDialect struct{ whereDialect }

func (casesDialect) PointXY() (x, y string) { return "ST_X(geom)", "ST_Y(geom)" }
func (casesDialect) InsertPoint(x, y string) (cols, vals string) {
	return "geom", "ST_SetSRID(ST_MakePoint(" + x + ", " + y + "), 4326)"
}
func (casesDialect) SetPoint(x, y string) string {
	return "geom = ST_SetSRID(ST_MakePoint(" + x + ", " + y + "), 4326)"
}
func (casesDialect) ForUpdate() string { return " FOR UPDATE" }

// Lock takes transaction-scoped advisory locks on keys' hashes, in
// ascending hash order (one round trip).
func (casesDialect) Lock(ctx context.Context, tx sqlq.Tx, keys []string) error {
	_, err := tx.Exec(ctx, lockSQL, keys)
	return err
}

const lockSQL = `SELECT pg_advisory_xact_lock(h) FROM (
		SELECT DISTINCT hashtextextended('gridd:' || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS l`

// NearCases is the duplicate query's condition. Its category and time
// tests are written so no btree index can serve them (an expression on
// category, IS TRUE around the time test): the GiST box is the only index
// path. Without statistics (a new database, before autovacuum's first
// analyze) the planner otherwise picks cases_open_category and reads every
// open case of the category, and each connection keeps that plan cached
// (docs/perf.md). The box lets the GiST index narrow first; the geography
// test is exact, a few metres wider than radiusM (the spheroid distance
// ST_DWithin measures and the sphere the flow checks with differ
// slightly).
func (casesDialect) NearCases(category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	dLon, dLat := sqlstore.NearMargins(p, radiusM)
	return `(category || '') = $1 AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND (reported_at >= $2) IS TRUE
		  AND geom && ST_MakeEnvelope($3::float8 - $6::float8, $4::float8 - $7::float8, $3::float8 + $6::float8, $4::float8 + $7::float8, 4326)
		  AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5)`,
		[]any{category, since, p[0], p[1], radiusM + 5, dLon, dLat}
}

// nearQuery is the duplicate query (a hot statement, warm.go).
func nearQuery(category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	return sqlstore.NearQuery(casesDialect{}, category, p, radiusM, since)
}

// caseTx is sqlstore's CaseTx with the intake path's fewer round trips
// (intake_fast.go), which need pgx itself (batches).
type caseTx struct {
	sqlstore.CaseTx
	tx pgx.Tx
}

var _ store.CaseTx = caseTx{}

func newCaseTx(tx pgx.Tx) caseTx {
	return caseTx{CaseTx: sqlstore.CaseTx{Tx: sqlq.Pgx(tx), D: casesDialect{}}, tx: tx}
}

func (db *DB) cases() sqlstore.CaseStore {
	return sqlstore.CaseStore{Run: sqlRunner{db}, D: casesDialect{},
		WriteCase: func(ctx context.Context, what string, fn func(store.CaseTx) error) error {
			return db.write(ctx, what, func(tx pgx.Tx) error { return fn(newCaseTx(tx)) })
		}}
}
