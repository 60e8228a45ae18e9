package gpkg

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// whereDialect writes sqlwhere's conditions for SQLite: numbered
// parameters (?N, so a query may bind one it does not name before those it
// does), times as their stored text, points as the lon and lat columns. It
// is also sqlstore's TimeDialect.
type whereDialect struct{}

func (whereDialect) Placeholder(n int) string { return "?" + strconv.Itoa(n) }
func (whereDialect) Time(t time.Time) any     { return fmtTime(t) }
func (whereDialect) InBox(b orb.Bound, arg func(any) string) string {
	return "lon BETWEEN " + arg(b.Min[0]) + " AND " + arg(b.Max[0]) + " AND lat BETWEEN " + arg(b.Min[1]) + " AND " + arg(b.Max[1])
}

// ScanTime reads a stored time text (NULL: the zero time).
func (whereDialect) ScanTime(dst *time.Time) any { return timeText{dst} }

// timeText is a Scan destination for a time stored as fmtTime's text.
type timeText struct{ dst *time.Time }

func (t timeText) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case nil:
		*t.dst = time.Time{}
	case string:
		*t.dst, err = parseTime(v)
	case []byte:
		*t.dst, err = parseTime(string(v))
	case time.Time:
		*t.dst = v.UTC()
	default:
		err = fmt.Errorf("a time column holds %T", src)
	}
	return err
}
