package postgis

import (
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
)

// whereDialect writes sqlwhere's conditions for PostgreSQL: $N
// parameters, timestamptz values, points as the GiST-indexed geom column
// (&& with a box holds on the box's edge too: the closed box). It is also
// sqlstore's TimeDialect.
type whereDialect struct{}

func (whereDialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (whereDialect) Time(t time.Time) any     { return t }
func (whereDialect) InBox(b orb.Bound, arg func(any) string) string {
	return "geom && ST_MakeEnvelope(" + arg(b.Min[0]) + ", " + arg(b.Min[1]) + ", " + arg(b.Max[0]) + ", " + arg(b.Max[1]) + ", 4326)"
}

// ScanTime reads a timestamptz in UTC (NULL: the zero time).
func (whereDialect) ScanTime(dst *time.Time) any { return timestamptz{dst} }

// timestamptz is a Scan destination pgx fills from its own decoding
// (pgtype.TimestamptzScanner).
type timestamptz struct{ dst *time.Time }

func (t timestamptz) ScanTimestamptz(v pgtype.Timestamptz) error {
	*t.dst = time.Time{}
	if v.Valid {
		*t.dst = v.Time.UTC()
	}
	return nil
}
