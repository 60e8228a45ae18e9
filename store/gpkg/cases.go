package gpkg

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ cases.Store = (*DB)(nil)

// casesDialect is the SQLite dialect of the cases' SQL: points are the
// lon and lat columns, writes are serialised on the one writer connection
// (so nothing needs locking), and open cases near a point are narrowed by
// a lon/lat box (the flow checks the distance).
type casesDialect struct{ whereDialect }

func (casesDialect) PointXY() (x, y string) { return "lon", "lat" }
func (casesDialect) InsertPoint(x, y string) (cols, vals string) {
	return "lon, lat", x + ", " + y
}
func (casesDialect) SetPoint(x, y string) string                   { return "lon = " + x + ", lat = " + y }
func (casesDialect) ForUpdate() string                             { return "" }
func (casesDialect) Lock(context.Context, sqlq.Tx, []string) error { return nil }

func (casesDialect) NearCases(category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	dLon, dLat := sqlstore.NearMargins(p, radiusM)
	return `category = $1 AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND reported_at >= $2
		  AND lat BETWEEN $3 AND $4 AND lon BETWEEN $5 AND $6`,
		[]any{category, fmtTime(since), p[1] - dLat, p[1] + dLat, p[0] - dLon, p[0] + dLon}
}

func (db *DB) cases() sqlstore.CaseStore {
	return sqlstore.CaseStore{Run: sqlRunner{db}, D: casesDialect{}}
}
