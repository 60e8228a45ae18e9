package cases

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/events"
)

// Publishers hands every change to each of its publishers in turn (the
// event stream, the units' busy/release hook, ...): Service.Publisher
// takes one, so compose them here rather than replace one another.
type Publishers []Publisher

// IncidentStored passes the change to every publisher.
func (ps Publishers) IncidentStored(in Incident, created bool) {
	for _, p := range ps {
		if p != nil {
			p.IncidentStored(in, created)
		}
	}
}

// CaseChanged passes the change to every publisher.
func (ps Publishers) CaseChanged(c Case, ev Event) {
	for _, p := range ps {
		if p != nil {
			p.CaseChanged(c, ev)
		}
	}
}

// Events turns the case loop's changes into stream events: a new
// incident is incident.created (with case.changed for the case it opened
// or was linked to); every case event is case.changed at the case's
// location. A replayed report (created false) publishes nothing.
type Events struct {
	Events events.Publisher
}

// IncidentJSON is incident.created's data. It carries no description,
// reporter or media: the stream says what happened where, GET
// /incidents/{id} the details.
type IncidentJSON struct {
	Incident   IncidentID `json:"incident"`
	Channel    Channel    `json:"channel"`
	Category   string     `json:"category"`
	ReportedAt time.Time  `json:"reported_at"`
	Located    bool       `json:"located"`
	Reason     string     `json:"reason,omitempty"` // why it is not located
	Street     string     `json:"street_code,omitempty"`
	Community  string     `json:"community_code,omitempty"`
	Grid       string     `json:"grid_code,omitempty"`
	Case       CaseID     `json:"case,omitempty"`
	Duplicate  bool       `json:"duplicate,omitempty"`
}

// CaseJSON is case.changed's data: the event and the case's state after it.
type CaseJSON struct {
	Case       CaseID     `json:"case"`
	Seq        int        `json:"seq,omitempty"`
	Action     Action     `json:"action"`
	From       Stage      `json:"from,omitempty"`
	To         Stage      `json:"to,omitempty"`
	Stage      Stage      `json:"stage,omitempty"` // the case's stage now (absent when not known: a link at intake)
	Path       Path       `json:"path,omitempty"`
	Category   string     `json:"category,omitempty"`
	Street     string     `json:"street_code,omitempty"`
	Community  string     `json:"community_code,omitempty"`
	Grid       string     `json:"grid_code,omitempty"`
	Unit       string     `json:"unit,omitempty"`
	Department string     `json:"department,omitempty"`
	Escalation int        `json:"escalation,omitempty"`
	Actor      string     `json:"actor,omitempty"`
	Role       string     `json:"role,omitempty"`
	Incident   IncidentID `json:"incident,omitempty"`
}

// IncidentStored publishes a new incident and the case it opened or
// joined.
func (e Events) IncidentStored(in Incident, created bool) {
	if !created || e.Events == nil {
		return
	}
	var loc *orb.Point
	if in.Located {
		p := in.Loc
		loc = &p
	}
	evs := []events.Event{events.New(events.IncidentCreated, in.ReceivedAt, loc, IncidentJSON{
		Incident: in.ID, Channel: in.Channel, Category: in.Category, ReportedAt: in.ReportedAt.UTC(), Located: in.Located,
		Reason: in.Reason, Street: in.Street, Community: in.Community, Grid: in.Grid, Case: in.Case, Duplicate: in.Duplicate,
	})}
	if in.Case != 0 && loc != nil {
		cj := CaseJSON{Case: in.Case, Action: ActLink, Category: in.Category, Street: in.Street, Community: in.Community, Grid: in.Grid,
			Actor: "system", Role: "intake", Incident: in.ID}
		if !in.Duplicate {
			cj.Action, cj.To, cj.Stage, cj.Actor = ActOpen, Reported, Reported, in.Submitter
		}
		evs = append(evs, events.New(events.CaseChanged, in.ReceivedAt, loc, cj))
	}
	e.Events.Publish(context.Background(), evs...)
}

// CaseChanged publishes a case event.
func (e Events) CaseChanged(c Case, ev Event) {
	if e.Events == nil {
		return
	}
	p := c.Loc
	at := ev.At
	if at.IsZero() {
		at = c.UpdatedAt
	}
	e.Events.Publish(context.Background(), events.New(events.CaseChanged, at, &p, CaseJSON{
		Case: c.ID, Seq: ev.Seq, Action: ev.Action, From: ev.From, To: ev.To, Stage: c.Stage, Path: c.Path, Category: c.Category,
		Street: c.Street, Community: c.Community, Grid: c.Grid, Unit: c.Unit, Department: c.Department, Escalation: c.Escalation,
		Actor: ev.Actor, Role: ev.Role, Incident: ev.Incident,
	}))
}
