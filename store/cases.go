package store

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// CaseTx is the SQL the case flows need, run inside one write transaction.
// Each backend implements it in its dialect; the flows themselves (intake,
// duplicate linking, transitions) are written once, below, so the two
// stores cannot drift apart.
type CaseTx interface {
	// InsertIncident stores in unless (Channel, ExternalID) is stored;
	// it returns the id and whether it inserted. Concurrent inserts of
	// one key must leave one row and return its id to every caller.
	InsertIncident(ctx context.Context, in *cases.Incident) (cases.IncidentID, bool, error)
	Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error)
	// Lock serialises the flows that take the same keys (the area of a
	// duplicate check, a unit's assignment) across connections and
	// replicas until the transaction ends. Keys are taken in sorted order,
	// so two flows cannot deadlock.
	Lock(ctx context.Context, keys ...string) error
	// OpenCasesNear lists open cases of category reported at or after
	// since whose location lies within radiusM of p (a superset is fine:
	// the flow checks the distance again).
	OpenCasesNear(ctx context.Context, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error)
	InsertCase(ctx context.Context, c *cases.Case) (cases.CaseID, error)
	// CaseForUpdate reads a case, locking it against concurrent changes.
	CaseForUpdate(ctx context.Context, id cases.CaseID) (cases.Case, error)
	UpdateCase(ctx context.Context, c *cases.Case) error
	// AppendEvent stores ev as the case's next event and returns its seq.
	AppendEvent(ctx context.Context, ev *cases.Event) (int, error)
	SetIncidentCase(ctx context.Context, id cases.IncidentID, c cases.CaseID, duplicate bool) error
	SetIncidentLocation(ctx context.Context, id cases.IncidentID, loc cases.Location) error
	// UnitHolder returns the case other than except that holds unit (a
	// HoldsUnit stage), if any.
	UnitHolder(ctx context.Context, unit string, except cases.CaseID) (cases.CaseID, bool, error)
}

// IntakeFlow is Store.Intake inside tx: store the incident or find the
// stored one; a new located incident is attached to a case.
func IntakeFlow(ctx context.Context, tx CaseTx, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	if w, ok := tx.(AttachedInserter); ok && in.Located {
		return intakeAttached(ctx, tx, w, in, cat, now)
	}
	id, created, err := tx.InsertIncident(ctx, in)
	if err != nil {
		return cases.Incident{}, false, err
	}
	if created && in.Located {
		stored := *in
		stored.ID = id
		caseID, dup, err := attach(ctx, tx, &stored, cat, now)
		if err != nil {
			return cases.Incident{}, false, err
		}
		if a, ok := tx.(AsStored); ok { // no need to read back what was just written
			stored.Case, stored.Duplicate = caseID, dup
			return a.AsStored(stored), true, nil
		}
	}
	got, err := tx.Incident(ctx, id)
	return got, created, err
}

// intakeAttached is IntakeFlow for a located report on a backend that
// inserts the incident together with its case (or its link to a
// duplicate's case) in one statement: the duplicate check runs first,
// under the area's locks, and nothing but the incident's own row is
// written when (channel, external_id) is stored already.
func intakeAttached(ctx context.Context, tx CaseTx, w AttachedInserter, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	dup, isDup, err := findDuplicate(ctx, tx, in, cat, duplicateKeys(cat.Code, in.Loc))
	if err != nil {
		return cases.Incident{}, false, err
	}
	if isDup {
		if dup, isDup, err = lockDuplicate(ctx, tx, dup); err != nil {
			return cases.Incident{}, false, err
		}
	}
	var open *cases.Case
	var ev cases.Event
	if isDup {
		ev = cases.LinkEvent(&dup, 0, now)
	} else {
		c, e := cases.Open(in, cat, now)
		if err := c.Validate(); err != nil {
			return cases.Incident{}, false, err
		}
		open, ev = &c, e
	}
	id, caseID, created, err := w.InsertAttached(ctx, in, open, &ev)
	if err != nil {
		return cases.Incident{}, false, err
	}
	if !created {
		got, err := tx.Incident(ctx, id)
		return got, false, err
	}
	stored := *in
	stored.ID, stored.Case, stored.Duplicate = id, caseID, isDup
	if a, ok := tx.(AsStored); ok {
		return a.AsStored(stored), true, nil
	}
	got, err := tx.Incident(ctx, id)
	return got, true, err
}

// The intake path on PostGIS is a handful of round trips; these optional
// CaseTx capabilities let a backend fold several statements into one
// (the flows fall back to the plain methods when a backend lacks them).
type (
	// AsStored returns in exactly as Incident would read it back after
	// it was inserted (times at the store's precision, empty lists).
	AsStored interface {
		AsStored(in cases.Incident) cases.Incident
	}
	// LockNear is Lock(keys...) then OpenCasesNear, in one round trip.
	LockNear interface {
		LockOpenCasesNear(ctx context.Context, keys []string, category string, p orb.Point, radiusM float64, since time.Time) ([]cases.Case, error)
	}
	// AttachedInserter inserts a located incident unless (Channel,
	// ExternalID) is stored, and with it either the case open (with its
	// opening event ev) or, open nil, the link event ev on ev.Case; the
	// events' incident is the new incident. It returns the incident's id
	// (the stored one when created is false, and nothing else is
	// written) and its case.
	AttachedInserter interface {
		InsertAttached(ctx context.Context, in *cases.Incident, open *cases.Case, ev *cases.Event) (id cases.IncidentID, c cases.CaseID, created bool, err error)
	}
	// CaseOpener inserts a new case, its opening event (ev.Case is set
	// from the new id) and sets incident's case, in one round trip.
	CaseOpener interface {
		OpenCase(ctx context.Context, c *cases.Case, ev *cases.Event, incident cases.IncidentID) (cases.CaseID, error)
	}
)

// attach links a located incident to an open duplicate case, or opens a
// case for it, with the event that records either.
// It returns the case and whether it was linked as a duplicate.
func attach(ctx context.Context, tx CaseTx, in *cases.Incident, cat cases.Category, now time.Time) (cases.CaseID, bool, error) {
	dup, ok, err := findDuplicate(ctx, tx, in, cat, duplicateKeys(cat.Code, in.Loc))
	if err == nil && ok {
		dup, ok, err = lockDuplicate(ctx, tx, dup)
	}
	if err != nil {
		return 0, false, err
	} else if ok {
		ev := cases.LinkEvent(&dup, in.ID, now)
		if _, err := tx.AppendEvent(ctx, &ev); err != nil {
			return 0, false, err
		}
		return dup.ID, true, tx.SetIncidentCase(ctx, in.ID, dup.ID, true)
	}
	id, err := openCase(ctx, tx, in, cat, now)
	return id, false, err
}

// lockDuplicate locks the case a report is about to be linked to, as a
// transition does, so the link event's seq cannot collide with a
// concurrent transition's event; a case closed meanwhile is no longer a
// duplicate's target (ok false: the report opens its own).
func lockDuplicate(ctx context.Context, tx CaseTx, dup cases.Case) (cases.Case, bool, error) {
	cur, err := tx.CaseForUpdate(ctx, dup.ID)
	if err != nil {
		return cases.Case{}, false, err
	}
	return cur, cur.Stage.Open(), nil
}

// duplicateCellDeg is the side of the lock cells of the duplicate check
// (about 110 m north-south).
const duplicateCellDeg = 0.001

// duplicateKeys are the lock keys of a duplicate check of category at p:
// the cells that meet the box of DuplicateRadiusM (and a margin) around
// p — usually 4, never more than 9. Two reports that could be duplicates
// of one another share a key (each one's cell lies in the other's box) and
// are serialised; reports far apart are not.
func duplicateKeys(category string, p orb.Point) []string {
	dLat := (cases.DuplicateRadiusM + 5) / 111195.0
	dLon := dLat / math.Max(math.Cos(p[1]*math.Pi/180), 0.01)
	x0, x1 := int64(math.Floor((p[0]-dLon)/duplicateCellDeg)), int64(math.Floor((p[0]+dLon)/duplicateCellDeg))
	y0, y1 := int64(math.Floor((p[1]-dLat)/duplicateCellDeg)), int64(math.Floor((p[1]+dLat)/duplicateCellDeg))
	keys := make([]string, 0, (x1-x0+1)*(y1-y0+1))
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			keys = append(keys, "dup:"+category+":"+strconv.FormatInt(x, 10)+":"+strconv.FormatInt(y, 10))
		}
	}
	return keys
}

func openCase(ctx context.Context, tx CaseTx, in *cases.Incident, cat cases.Category, now time.Time) (cases.CaseID, error) {
	c, ev := cases.Open(in, cat, now)
	if err := c.Validate(); err != nil {
		return 0, err
	}
	if o, ok := tx.(CaseOpener); ok {
		return o.OpenCase(ctx, &c, &ev, in.ID)
	}
	id, err := tx.InsertCase(ctx, &c)
	if err != nil {
		return 0, err
	}
	ev.Case = id
	if _, err := tx.AppendEvent(ctx, &ev); err != nil {
		return 0, err
	}
	return id, tx.SetIncidentCase(ctx, in.ID, id, false)
}

// findDuplicate returns the nearest open case of the incident's category
// reported within DuplicateWindow before (or after) it and within
// DuplicateRadiusM; the oldest wins a tie. It first takes the lock keys
// of the area (concurrent checks of one area are serialised).
func findDuplicate(ctx context.Context, tx CaseTx, in *cases.Incident, cat cases.Category, keys []string) (cases.Case, bool, error) {
	since := in.ReportedAt.Add(-cases.DuplicateWindow)
	var near []cases.Case
	var err error
	if ln, ok := tx.(LockNear); ok {
		near, err = ln.LockOpenCasesNear(ctx, keys, cat.Code, in.Loc, cases.DuplicateRadiusM, since)
	} else if err = tx.Lock(ctx, keys...); err == nil {
		near, err = tx.OpenCasesNear(ctx, cat.Code, in.Loc, cases.DuplicateRadiusM, since)
	}
	if err != nil {
		return cases.Case{}, false, err
	}
	best, bestD := -1, 0.0
	for i := range near {
		c := &near[i]
		if c.ReportedAt.Sub(in.ReportedAt) > cases.DuplicateWindow {
			continue
		}
		d := geo.DistanceM(in.Loc, c.Loc)
		if d > cases.DuplicateRadiusM {
			continue
		}
		if best < 0 || d < bestD || d == bestD && c.ID < near[best].ID {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return cases.Case{}, false, nil
	}
	return near[best], true, nil
}

// LocateFlow is Store.LocateIncident inside tx.
func LocateFlow(ctx context.Context, tx CaseTx, id cases.IncidentID, loc cases.Location, cat cases.Category, now time.Time) (cases.Incident, error) {
	in, err := tx.Incident(ctx, id)
	if err != nil {
		return cases.Incident{}, err
	}
	if in.Located {
		return cases.Incident{}, errs.E(errs.Conflict, "incident", "incident %d is already located", id)
	}
	if err := tx.SetIncidentLocation(ctx, id, loc); err != nil {
		return cases.Incident{}, err
	}
	in.Located, in.Loc, in.Street, in.Community, in.Grid = true, loc.Loc, loc.Street, loc.Community, loc.Grid
	if _, _, err := attach(ctx, tx, &in, cat, now); err != nil {
		return cases.Incident{}, err
	}
	return tx.Incident(ctx, id)
}

// UnlinkFlow is Store.UnlinkIncident inside tx: the duplicate leaves its
// case (an unlink event there) and opens its own.
func UnlinkFlow(ctx context.Context, tx CaseTx, id cases.IncidentID, cat cases.Category, actor string, now time.Time) (cases.Incident, error) {
	in, err := tx.Incident(ctx, id)
	if err != nil {
		return cases.Incident{}, err
	}
	if !in.Duplicate || in.Case == 0 {
		return cases.Incident{}, errs.E(errs.Conflict, "incident", "incident %d is not linked to another report's case", id)
	}
	old, err := tx.CaseForUpdate(ctx, in.Case)
	if err != nil {
		return cases.Incident{}, err
	}
	ev := cases.UnlinkEvent(&old, id, actor, now)
	if _, err := tx.AppendEvent(ctx, &ev); err != nil {
		return cases.Incident{}, err
	}
	if _, err := openCase(ctx, tx, &in, cat, now); err != nil {
		return cases.Incident{}, err
	}
	return tx.Incident(ctx, id)
}

// TransitionFlow is Store.Transition inside tx. A dispatch to a unit that
// holds another open case is a Conflict naming that case; the unit's lock
// makes the check race-free, and the stores' unique index on the active
// assignment backs it.
func TransitionFlow(ctx context.Context, tx CaseTx, id cases.CaseID, apply func(cases.Case) (cases.Case, cases.Event, error)) (cases.Case, cases.Event, error) {
	cur, err := tx.CaseForUpdate(ctx, id)
	if err != nil {
		return cases.Case{}, cases.Event{}, err
	}
	next, ev, err := apply(cur)
	if err != nil {
		return cases.Case{}, cases.Event{}, err
	}
	next.ID, ev.Case = cur.ID, cur.ID
	if err := next.Validate(); err != nil {
		return cases.Case{}, cases.Event{}, err
	}
	if next.Stage.HoldsUnit() && next.Unit != "" && (next.Unit != cur.Unit || !cur.Stage.HoldsUnit()) {
		if err := tx.Lock(ctx, "unit:"+next.Unit); err != nil {
			return cases.Case{}, cases.Event{}, err
		}
		holder, held, err := tx.UnitHolder(ctx, next.Unit, id)
		if err != nil {
			return cases.Case{}, cases.Event{}, err
		}
		if held {
			return cases.Case{}, cases.Event{}, &UnitBusyError{Unit: next.Unit, Case: holder}
		}
	}
	if err := tx.UpdateCase(ctx, &next); err != nil {
		return cases.Case{}, cases.Event{}, err
	}
	seq, err := tx.AppendEvent(ctx, &ev)
	if err != nil {
		return cases.Case{}, cases.Event{}, err
	}
	ev.Seq = seq
	return next, ev, nil
}

// UnitBusyError is the Conflict of a dispatch to a unit that holds
// another open case.
type UnitBusyError struct {
	Unit string
	Case cases.CaseID
}

func (e *UnitBusyError) Error() string { return e.err().Error() }
func (e *UnitBusyError) Unwrap() error { return e.err() }
func (e *UnitBusyError) err() *errs.Error {
	return errs.E(errs.Conflict, "unit", "unit %s holds case %d", e.Unit, e.Case)
}

// ProblemExtra names the unit and the case it holds in the HTTP problem.
func (e *UnitBusyError) ProblemExtra() map[string]any {
	return map[string]any{"unit": e.Unit, "held_case": e.Case}
}
