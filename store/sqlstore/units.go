package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlwhere"
)

// UnitsDialect is what the units' SQL says differently: where a unit's
// and a report's point is, and how a box narrows the units.
type UnitsDialect interface {
	sqlwhere.Dialect
	TimeDialect
	// UnitXY is the SQL of the longitude and latitude of units u's
	// position (NULL without one).
	UnitXY() (x, y string)
	// UnitInBox is the condition that u's position may lie in the closed
	// box b, arg binding each number (a superset is fine: the rows are
	// checked again).
	UnitInBox(b orb.Bound, arg func(any) string) string
	// TrackXY is the SQL of a unit_positions row's longitude and latitude.
	TrackXY() (x, y string)
}

// heldCaseSQL is the case (lowest id) unit u holds.
var heldCaseSQL = func() string {
	q := make([]string, len(cases.UnitStages))
	for i, s := range cases.UnitStages {
		q[i] = "'" + string(s) + "'"
	}
	return `(SELECT c.id FROM cases c WHERE c.unit = u.id AND c.stage IN (` + strings.Join(q, ", ") + `) ORDER BY c.id LIMIT 1)`
}()

// UnitCols is the select list of ScanUnit over units u.
func UnitCols(d UnitsDialect) string {
	x, y := d.UnitXY()
	return `u.id, u.kind, u.name, u.street_code, u.community_code, ` + x + `, ` + y + `, u.status, u.reported_at, ` + heldCaseSQL
}

// ScanUnit reads a row of UnitCols: a unit on duty, busy while it holds a
// case.
func ScanUnit(d UnitsDialect, r sqlq.Row) (dispatch.Unit, error) {
	var u dispatch.Unit
	var x, y *float64
	var at time.Time
	var held *int64
	if err := r.Scan(&u.ID, &u.Kind, &u.Name, &u.Street, &u.Community, &x, &y, &u.ReportedStatus, d.ScanTime(&at), &held); err != nil {
		return u, err
	}
	if x != nil && y != nil {
		u.Loc = &orb.Point{*x, *y}
	}
	if !at.IsZero() {
		u.ReportedAt = &at
	}
	if held != nil {
		u.HeldCase = *held
	}
	u.Status = dispatch.Effective(u.ReportedStatus, u.HeldCase)
	u.OnDuty = true
	return u, nil
}

// UnitStore is store.Units' reads over a backend's Runner in dialect D (each
// backend writes ReportPositions its own way).
type UnitStore struct {
	Run Runner
	D   UnitsDialect
}

// Units lists units matching f, by id.
func (s UnitStore) Units(ctx context.Context, f store.UnitFilter) ([]dispatch.Unit, error) {
	w := sqlwhere.New(s.D)
	w.Eq("u.kind", string(f.Kind))
	w.Eq("u.street_code", f.Street)
	if f.BBox != nil {
		w.Add(s.D.UnitInBox(*f.BBox, w.Arg))
	}
	out := []dispatch.Unit{}
	err := s.Run.Read(ctx, func(tx sqlq.Tx) error {
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			u, err := ScanUnit(s.D, r)
			if err == nil && (f.Status == "" || u.Status == f.Status) && store.InBBox(f.BBox, u.Loc) {
				out = append(out, u)
			}
			return err
		}, `SELECT `+UnitCols(s.D)+` FROM units u WHERE `+w.SQL()+` ORDER BY u.id`, w.Args...)
	})
	return out, err
}

// Unit returns one unit (NotFound naming "id").
func (s UnitStore) Unit(ctx context.Context, id string) (dispatch.Unit, error) {
	return read(ctx, s.Run, func(tx sqlq.Tx) (dispatch.Unit, error) {
		u, err := ScanUnit(s.D, tx.QueryRow(ctx, `SELECT `+UnitCols(s.D)+` FROM units u WHERE u.id = $1`, id))
		if ok, err := sqlq.Found(err); err == nil && !ok {
			return u, errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		return u, err
	})
}

// Track returns the unit's reports in [from, to], oldest first, at most
// store.MaxTrackPoints (NotFound naming "id" for an unknown unit).
func (s UnitStore) Track(ctx context.Context, id string, from, to time.Time) ([]dispatch.TrackPoint, error) {
	x, y := s.D.TrackXY()
	out := []dispatch.TrackPoint{}
	err := s.Run.Read(ctx, func(tx sqlq.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE id = $1)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			var p dispatch.TrackPoint
			err := r.Scan(s.D.ScanTime(&p.At), &p.Loc[0], &p.Loc[1], &p.Status)
			out = append(out, p)
			return err
		}, `SELECT at, `+x+`, `+y+`, status FROM unit_positions
			WHERE unit_id = $1 AND at >= $2 AND at <= $3 ORDER BY at LIMIT $4`,
			id, s.D.Time(from), s.D.Time(to), store.MaxTrackPoints)
	})
	return out, err
}
