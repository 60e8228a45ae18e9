package gpkg

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// whereDialect writes sqlwhere's conditions for SQLite: numbered
// parameters (?N, so a query may bind one it does not name before those it
// does), times as their stored text, points as the lon and lat columns.
type whereDialect struct{}

func (whereDialect) Placeholder(n int) string { return "?" + strconv.Itoa(n) }
func (whereDialect) Time(t time.Time) any     { return fmtTime(t) }
func (whereDialect) InBox(b orb.Bound, arg func(any) string) string {
	return "lon BETWEEN " + arg(b.Min[0]) + " AND " + arg(b.Max[0]) + " AND lat BETWEEN " + arg(b.Min[1]) + " AND " + arg(b.Max[1])
}
