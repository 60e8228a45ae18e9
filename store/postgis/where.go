package postgis

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// whereDialect writes sqlwhere's conditions for PostgreSQL: $N
// parameters, timestamptz values, points as the GiST-indexed geom column
// (&& with a box holds on the box's edge too: the closed box).
type whereDialect struct{}

func (whereDialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (whereDialect) Time(t time.Time) any     { return t }
func (whereDialect) InBox(b orb.Bound, arg func(any) string) string {
	return "geom && ST_MakeEnvelope(" + arg(b.Min[0]) + ", " + arg(b.Min[1]) + ", " + arg(b.Max[0]) + ", " + arg(b.Max[1]) + ", 4326)"
}
