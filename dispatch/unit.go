package dispatch

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
)

// UnitKind is what a field unit is: a joint patrol (a vehicle with a
// callsign, bundle.Patrols) or a grid worker (on foot, attached to a
// community, bundle.Workers).
type UnitKind string

const (
	KindPatrol UnitKind = "patrol"
	KindWorker UnitKind = "worker"
)

// ParseUnitKind reads a kind; anything else is errs.Invalid naming field.
func ParseUnitKind(s, field string) (UnitKind, error) {
	switch k := UnitKind(s); k {
	case KindPatrol, KindWorker:
		return k, nil
	}
	return "", errs.E(errs.Invalid, field, "%q is not a unit kind; want patrol or worker", clip.Text(s, 40))
}

// UnitStatus is a unit's availability as it reports it (or, in a Unit
// view, as dispatch sees it: busy while it holds a case).
type UnitStatus string

const (
	StatusAvailable UnitStatus = "available"
	StatusBusy      UnitStatus = "busy"
	StatusOffDuty   UnitStatus = "off_duty"
)

// ParseUnitStatus reads a status; anything else is errs.Invalid naming
// field.
func ParseUnitStatus(s, field string) (UnitStatus, error) {
	switch st := UnitStatus(s); st {
	case StatusAvailable, StatusBusy, StatusOffDuty:
		return st, nil
	}
	return "", errs.E(errs.Invalid, field, "%q is not a unit status; want available, busy or off_duty", clip.Text(s, 40))
}

// Geo is the status in the live index's terms.
func (s UnitStatus) Geo() geo.UnitStatus {
	switch s {
	case StatusAvailable:
		return geo.UnitAvailable
	case StatusBusy:
		return geo.UnitBusy
	}
	return geo.UnitOffline
}

// MaxUnitIDLen bounds a unit id in a report.
const MaxUnitIDLen = 64

// PositionReport is one position report of one unit: where it was (WGS84
// lon/lat), when, and the status it reported.
type PositionReport struct {
	Unit   string
	Loc    orb.Point
	At     time.Time
	Status UnitStatus
}

// Validate rejects a report without a unit id or time, with a position
// that is not a WGS84 lon/lat, or with an unknown status; the error names
// the field (unit, lon, lat, at or status).
func (r PositionReport) Validate() error {
	switch {
	case strings.TrimSpace(r.Unit) == "":
		return errs.E(errs.Invalid, "unit", "a position report needs the unit id")
	case len(r.Unit) > MaxUnitIDLen:
		return errs.E(errs.Invalid, "unit", "a unit id has at most %d bytes", MaxUnitIDLen)
	case r.At.IsZero():
		return errs.E(errs.Invalid, "at", "a position report needs its time")
	case r.At.Year() < 2000 || r.At.Year() > 9999:
		return errs.E(errs.Invalid, "at", "%s is not a plausible report time", r.At.UTC().Format(time.RFC3339))
	}
	if err := geo.CheckLonLat(r.Loc[0], r.Loc[1]); err != nil {
		return err
	}
	if _, err := ParseUnitStatus(string(r.Status), "status"); err != nil {
		return err
	}
	return nil
}

// ValidateReports checks a batch; the first bad report's error names its
// index and field ("[3].lat"). An empty batch is errs.Invalid too.
func ValidateReports(rs []PositionReport, max int) error {
	if len(rs) == 0 {
		return errs.E(errs.Invalid, "", "the batch holds no reports")
	}
	if max > 0 && len(rs) > max {
		return errs.E(errs.Invalid, "", "at most %d reports a batch; got %d", max, len(rs))
	}
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			return AtIndex(i, err)
		}
	}
	return nil
}

// AtIndex prefixes an *errs.Error's field with a batch index: "lat" of
// report 3 becomes "[3].lat". Other errors are returned as they are.
func AtIndex(i int, err error) error {
	e, ok := errs.As(err)
	if !ok {
		return err
	}
	return errs.E(e.Code, FieldAt(i, e.Field), "%s", e.Msg)
}

// Outcome is what a stored report did.
type Outcome string

const (
	// Moved: the report is the unit's current position and status.
	Moved Outcome = "moved"
	// KeptOlder: stored in the history, but the unit has a newer report.
	KeptOlder Outcome = "kept_older"
	// Duplicate: the unit's report at that time was already stored (the
	// first one is kept).
	Duplicate Outcome = "duplicate"
)

// ReportResult is the outcome of one report of a batch, in batch order,
// with the unit's state after the batch: its effective status (busy while
// it holds a case) and the case it holds.
type ReportResult struct {
	Unit     string     `json:"unit"`
	At       time.Time  `json:"at"`
	Outcome  Outcome    `json:"outcome"`
	Status   UnitStatus `json:"status"`
	HeldCase int64      `json:"held_case,omitempty"`
	Loc      orb.Point  `json:"-"` // the unit's current position
}

// Settle sets the unit's state after the batch: its effective status, the
// case it holds and, when it has one, its position.
func (r *ReportResult) Settle(u Unit) {
	r.Status, r.HeldCase = u.Status, u.HeldCase
	if u.Loc != nil {
		r.Loc = *u.Loc
	}
}

// Unit is a field unit as dispatch sees it. Status is the effective
// status: busy while the unit holds a case (whatever it reported),
// else what it last reported (available before any report).
type Unit struct {
	ID   string   `json:"id"`
	Kind UnitKind `json:"kind"`
	// Name is a patrol's callsign or a worker's name.
	Name      string `json:"name"`
	Street    string `json:"street"`
	Community string `json:"community,omitempty"` // workers
	Grid      string `json:"grid,omitempty"`      // workers, by the directory's deal
	// Loc is the last reported position (a patrol's home before any
	// report; nil for a worker that never reported).
	Loc            *orb.Point `json:"-"`
	Status         UnitStatus `json:"status"`
	ReportedStatus UnitStatus `json:"reported_status"`
	ReportedAt     *time.Time `json:"reported_at"`
	HeldCase       int64      `json:"held_case,omitempty"`
	OnDuty         bool       `json:"on_duty"`
}

// Effective is the status dispatch uses: busy while holding a case.
func Effective(reported UnitStatus, heldCase int64) UnitStatus {
	if heldCase != 0 {
		return StatusBusy
	}
	if reported == "" {
		return StatusAvailable
	}
	return reported
}

// TrackPoint is one stored report of a unit's history.
type TrackPoint struct {
	At     time.Time
	Loc    orb.Point
	Status UnitStatus
}

// FieldAt names field of report i of a batch: "[3].lat".
func FieldAt(i int, field string) string {
	f := "[" + strconv.Itoa(i) + "]"
	if field != "" {
		f += "." + field
	}
	return f
}
