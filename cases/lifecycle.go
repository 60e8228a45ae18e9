package cases

import (
	"strings"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// Action moves a case (or records something on it).
type Action string

const (
	ActOpen     Action = "open" // the case is opened by its first incident
	ActFile     Action = "file"
	ActDispatch Action = "dispatch"
	ActAccept   Action = "accept"
	ActArrive   Action = "arrive"
	ActResolve  Action = "resolve"
	ActVerify   Action = "verify"
	ActEvaluate Action = "evaluate"
	ActEscalate Action = "escalate"
	ActVoid     Action = "void"
	ActLink     Action = "link"    // a duplicate incident was linked
	ActUnlink   Action = "unlink"  // a dispatcher took a linked incident off
	ActReroute  Action = "reroute" // a published plan moved the case's point to another grid
)

// Actions lists the actions a caller may send, in lifecycle order.
var Actions = []Action{ActFile, ActDispatch, ActAccept, ActArrive, ActResolve, ActVerify, ActEvaluate, ActEscalate, ActVoid}

// from lists the stages each caller action is allowed from.
var from = map[Action][]Stage{
	ActFile:     {Reported},
	ActDispatch: {Filed, Dispatched}, // from dispatched it reassigns
	ActAccept:   {Dispatched},
	ActArrive:   {Handling},
	ActResolve:  {Handling},
	ActVerify:   {Resolved},
	ActEvaluate: {Closed},
	ActEscalate: {Reported, Filed, Dispatched, Handling, Resolved},
	ActVoid:     {Reported, Filed, Dispatched, Handling, Resolved},
}

// MaxEscalation is the highest escalation level: 1 the street's
// sub-centre, 2 the district centre.
const MaxEscalation = 2

// Command is one request to move a case.
type Command struct {
	Action       Action
	Note         string
	Unit         string // dispatch to an on-site unit
	Department   string // dispatch to a department
	OK           *bool  // verify
	Satisfaction int    // evaluate: 1–5
	SpotCheck    bool   // evaluate by the centre's spot check
	Reason       string // void
	Actor        string // who (a key name, "system" for the escalation loop)
	Role         string
	// IfVersion, when not empty, is the case's Version the sender acted
	// on: the action applies only to that state (HTTP If-Match).
	IfVersion string
}

// Validate checks a command's own fields, before any case is read.
func (c *Command) Validate() error {
	var l errs.List
	if _, ok := from[c.Action]; !ok {
		names := make([]string, len(Actions))
		for i, a := range Actions {
			names[i] = string(a)
		}
		l = append(l, errs.E(errs.Invalid, "action", "%q is not an action (one of %s)", c.Action, strings.Join(names, ", ")))
	}
	if len(c.Note) > 2000 {
		l = append(l, errs.E(errs.Invalid, "note", "at most 2000 bytes"))
	}
	switch c.Action {
	case ActDispatch:
		if (c.Unit == "") == (c.Department == "") {
			l = append(l, errs.E(errs.Invalid, "unit", "dispatch names exactly one of unit or department"))
		}
	case ActVerify:
		if c.OK == nil {
			l = append(l, errs.E(errs.Invalid, "ok", "verify says ok true (close) or false (rework)"))
		}
	case ActEvaluate:
		if c.SpotCheck && c.Satisfaction == 0 {
			break
		}
		if c.Satisfaction < 1 || c.Satisfaction > 5 {
			l = append(l, errs.E(errs.Invalid, "satisfaction", "1 to 5 (or spot_check true)"))
		}
	case ActVoid:
		if strings.TrimSpace(c.Reason) == "" {
			l = append(l, errs.E(errs.Invalid, "reason", "a void needs a reason"))
		}
	}
	return firstOrList(l)
}

// Allowed returns the actions allowed on c, in lifecycle order.
func Allowed(c *Case) []Action {
	var out []Action
	for _, a := range Actions {
		if allowed(c, a) {
			out = append(out, a)
		}
	}
	return out
}

func allowed(c *Case, a Action) bool {
	ok := false
	for _, s := range from[a] {
		ok = ok || s == c.Stage
	}
	switch {
	case !ok:
		return false
	case a == ActArrive:
		return c.Path == OnSite && c.ArrivedAt.IsZero()
	case a == ActEscalate:
		return c.Escalation < MaxEscalation
	}
	return true
}

// StageError is the Conflict an illegal transition returns: the stage the
// case is at and the actions allowed from it.
type StageError struct {
	Stage   Stage
	Allowed []Action
	err     *errs.Error
}

func (e *StageError) Error() string { return e.err.Error() }
func (e *StageError) Unwrap() error { return e.err }

func stageError(c *Case, a Action) *StageError {
	allowed := Allowed(c)
	names := make([]string, len(allowed))
	for i, x := range allowed {
		names[i] = string(x)
	}
	list := strings.Join(names, ", ")
	if list == "" {
		list = "none"
	}
	return &StageError{Stage: c.Stage, Allowed: allowed,
		err: errs.E(errs.Conflict, "action", "%s is not allowed on a case at %s; allowed: %s", a, c.Stage, list)}
}

// Apply is the lifecycle as a pure function: the case after cmd at now,
// and the event that records it. An action the stage does not allow is a
// *StageError (errs.Conflict). c is not modified.
func Apply(c Case, cmd Command, cat Category, now time.Time) (Case, Event, error) {
	if err := cmd.Validate(); err != nil {
		return c, Event{}, err
	}
	if cmd.IfVersion != "" && cmd.IfVersion != c.Version() {
		return c, Event{}, errs.E(errs.Conflict, "If-Match", "case %d changed since version %s (it is at %s, version %s): read it again before acting",
			c.ID, clip.Text(cmd.IfVersion, 24), c.Stage, c.Version())
	}
	if !allowed(&c, cmd.Action) {
		return c, Event{}, stageError(&c, cmd.Action)
	}
	if cmd.Action == ActDispatch && cmd.Unit != "" && c.Path == Department {
		return c, Event{}, errs.E(errs.Invalid, "unit", "case %d is on the department path; dispatch it to a department", c.ID)
	}
	if cmd.Action == ActDispatch && c.Stage == Dispatched && cmd.Unit == c.Unit && cmd.Department == c.Department {
		// A repeated dispatch (a retry) would only add an event.
		field, to := "unit", cmd.Unit
		if to == "" {
			field, to = "department", cmd.Department
		}
		return c, Event{}, errs.E(errs.Conflict, field, "case %d is dispatched to %s already", c.ID, to)
	}
	prev := c.Stage
	next := c
	next.Incidents, next.Events = nil, nil
	step(&next, cmd, now)
	if next.Stage != prev {
		next.Escalation = 0
	}
	setDeadline(&next, cat, now, cmd.Action)
	next.UpdatedAt = now
	ev := Event{Case: c.ID, Action: cmd.Action, From: prev, To: next.Stage, Actor: cmd.Actor, Role: cmd.Role,
		At: now, Note: cmd.Note, Unit: cmd.Unit, Department: cmd.Department, OK: cmd.OK, Satisfaction: cmd.Satisfaction}
	if cmd.Action == ActVoid && ev.Note == "" {
		ev.Note = cmd.Reason
	}
	return next, ev, nil
}

// step applies one allowed action's effect on the case's fields.
func step(c *Case, cmd Command, now time.Time) {
	switch cmd.Action {
	case ActFile:
		c.Stage = Filed
	case ActDispatch:
		c.Stage = Dispatched
		c.Unit, c.Department = cmd.Unit, cmd.Department
		if c.DispatchedAt.IsZero() {
			c.DispatchedAt = now
		}
	case ActAccept:
		c.Stage = Handling
		if c.AcceptedAt.IsZero() {
			c.AcceptedAt = now
		}
	case ActArrive:
		c.ArrivedAt = now
	case ActResolve:
		c.Stage = Resolved
		c.ResolvedAt = now
	case ActVerify:
		if *cmd.OK {
			c.Stage = Closed
			c.ClosedAt = now
		} else {
			// 返工: back to whoever handled it, to accept again.
			c.Stage = Dispatched
			c.Rework++
			c.ResolvedAt = time.Time{}
		}
	case ActEvaluate:
		c.Stage = Evaluated
		c.EvaluatedAt = now
		c.Satisfaction, c.SpotCheck = cmd.Satisfaction, cmd.SpotCheck
	case ActEscalate:
		c.Escalation++
	case ActVoid:
		c.Stage = Void
		c.VoidReason = cmd.Reason
	}
}

// setDeadline sets the next step's deadline and when the escalation loop
// acts next. Deadlines are fixed when a stage is entered, from the
// category's limits: to dispatch from the report, to arrive from the
// dispatch (on site), to close from the report (the department's deadline
// too).
func setDeadline(c *Case, cat Category, now time.Time, a Action) {
	switch c.Stage {
	case Reported, Filed:
		c.Deadline = c.ReportedAt.Add(Dur(cat.DispatchH))
	case Dispatched:
		switch {
		case c.Path == Department:
			c.Deadline = c.DueAt
		case a == ActDispatch || a == ActVerify: // (re)dispatched or sent back: the unit must arrive
			c.Deadline = now.Add(Dur(cat.ArriveH))
		}
	case Handling:
		if c.Path == Department || !c.ArrivedAt.IsZero() {
			c.Deadline = c.DueAt
		}
	case Resolved:
		c.Deadline = c.DueAt
	default:
		c.Deadline = time.Time{}
	}
	c.EscalateAt = escalateAt(c, cat)
}

// escalateAt is the escalation rule: an overdue case goes to its street's
// sub-centre at its deadline, and to the district centre if it is still
// overdue a further dispatch limit (at least an hour) later.
func escalateAt(c *Case, cat Category) time.Time {
	if !c.Stage.Open() || c.Deadline.IsZero() || c.Escalation >= MaxEscalation {
		return time.Time{}
	}
	if c.Escalation == 0 {
		return c.Deadline
	}
	return c.Deadline.Add(max(Dur(cat.DispatchH), time.Hour))
}

// EscalationDue reports whether the escalation loop should escalate c at now.
func EscalationDue(c *Case, now time.Time) bool {
	return c.Stage.Open() && !c.EscalateAt.IsZero() && !now.Before(c.EscalateAt) && c.Escalation < MaxEscalation
}

// Open builds the case a located incident opens, and its opening event.
func Open(in *Incident, cat Category, now time.Time) (Case, Event) {
	c := Case{
		Stage: Reported, Path: cat.Path, Category: cat.Code, Channel: in.Channel, Loc: in.Loc,
		Street: in.Street, Community: in.Community, Grid: in.Grid, CostYuan: cat.CostYuan,
		ReportedAt: in.ReportedAt, DueAt: in.ReportedAt.Add(Dur(cat.CloseH)), UpdatedAt: now,
	}
	if cat.Path == Department {
		c.Department = cat.Department
	}
	setDeadline(&c, cat, now, ActOpen)
	ev := Event{Action: ActOpen, To: Reported, Actor: in.Submitter, Role: "intake", At: now, Incident: in.ID}
	return c, ev
}

// LinkEvent records that incident in was linked to an open case as a
// duplicate (the case's stage does not change).
func LinkEvent(c *Case, in IncidentID, now time.Time) Event {
	return Event{Case: c.ID, Action: ActLink, From: c.Stage, To: c.Stage, Actor: "system", Role: "intake", At: now, Incident: in}
}

// UnlinkEvent records that a dispatcher took incident in off case c.
func UnlinkEvent(c *Case, in IncidentID, actor string, now time.Time) Event {
	return Event{Case: c.ID, Action: ActUnlink, From: c.Stage, To: c.Stage, Actor: actor, Role: "dispatcher", At: now, Incident: in}
}

// Area is where a case is routed: its street, community and grid codes.
type Area struct {
	Street, Community, Grid string
}

// Reroute moves an open case to the area a newly published plan gives its
// point, with the event that records it (the stage does not change, nor
// the unit or department working on it). ok is false, and nothing is to
// be stored, when the case is closed or already routed there, so a rerun
// after a crash re-routes only what is left.
func Reroute(c Case, to Area, plan string, now time.Time) (next Case, ev Event, ok bool) {
	from := Area{Street: c.Street, Community: c.Community, Grid: c.Grid}
	if !c.Stage.Open() || from == to {
		return c, Event{}, false
	}
	next = c
	next.Incidents, next.Events = nil, nil
	next.Street, next.Community, next.Grid = to.Street, to.Community, to.Grid
	next.UpdatedAt = now
	note := "grid " + orNone(from.Grid) + " → " + orNone(to.Grid)
	if plan != "" {
		note += " (plan " + plan + " published)"
	}
	ev = Event{Case: c.ID, Action: ActReroute, From: c.Stage, To: c.Stage, Actor: "system", Role: "system", At: now, Note: note}
	return next, ev, true
}

func orNone(code string) string {
	if code == "" {
		return "none"
	}
	return code
}

// DuplicateRadiusM and DuplicateWindow define a duplicate: a report of the
// same category within this distance and time of an open case's report.
const (
	DuplicateRadiusM = 50.0
	DuplicateWindow  = 24 * time.Hour
)

// ProblemExtra names the stage and the allowed actions in the HTTP problem.
func (e *StageError) ProblemExtra() map[string]any {
	allowed := e.Allowed
	if allowed == nil {
		allowed = []Action{}
	}
	return map[string]any{"stage": e.Stage, "allowed_actions": allowed}
}
