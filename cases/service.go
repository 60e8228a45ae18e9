package cases

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geocode"
)

// Locator answers who is responsible at a WGS84 point
// (dispatch.Directory); an errs.NotFound error means outside the district.
type Locator interface {
	Locate(lon, lat float64, k int) (*dispatch.Answer, error)
}

// Geocoder locates a standard address (geocode.Index).
type Geocoder interface {
	Locate(addr string) (geocode.Match, error)
}

// Service is the case loop's use cases: intake, location, the lifecycle
// with its role rules, the escalation loop. HTTP handlers and gridctl call
// it; it holds no HTTP and no SQL.
type Service struct {
	Store      Store
	Categories *Categories
	Now        func() time.Time // the clock (injected, so tests move it)
	// Directory and Addresses return the district's current locator and
	// address index (they change when a plan is published or a bundle
	// imported); nil when no district is loaded.
	Directory func() Locator
	Addresses func() Geocoder
	Publisher Publisher // nil: nothing is published
}

// Report is an incident as submitted: a WGS84 point or an address.
type Report struct {
	Channel     Channel
	ExternalID  string
	Category    string
	Description string
	ReportedAt  time.Time
	Loc         *orb.Point // WGS84 (callers convert other CRSs)
	Address     string
	Reporter    string
	Media       []string
}

// Unlocated reasons, stored with a queued incident.
const (
	ReasonOutside    = "outside the district"
	ReasonNoAddress  = "the address matches no standard address"
	ReasonNoDistrict = "no district is loaded"
)

// Submit stores a report (idempotently on channel and external id),
// locating, routing and attaching it. Intake keys, units, dispatchers and
// admins submit; the public only through Open311 (channel open311).
func (s *Service) Submit(ctx context.Context, who access.Principal, r Report) (Incident, bool, error) {
	if err := s.canSubmit(who, r.Channel); err != nil {
		return Incident{}, false, err
	}
	now := s.Now().UTC()
	in := Incident{Channel: r.Channel, ExternalID: strings.TrimSpace(r.ExternalID), Category: r.Category,
		Description: r.Description, Address: r.Address, ReportedAt: r.ReportedAt.UTC(), ReceivedAt: now,
		Reporter: r.Reporter, Media: r.Media, Submitter: who.Name}
	if err := in.Validate(s.Categories); err != nil {
		return Incident{}, false, err
	}
	if r.Loc == nil && strings.TrimSpace(r.Address) == "" {
		return Incident{}, false, errs.E(errs.Invalid, "location", "give a location or an address")
	}
	if r.Loc != nil && !validLonLat(*r.Loc) {
		return Incident{}, false, errs.E(errs.Invalid, "location", "lon/lat out of range")
	}
	cat, _ := s.Categories.Get(in.Category)
	s.locate(&in, r, cat)
	got, created, err := s.Store.Intake(ctx, &in, cat, now)
	if err != nil {
		return Incident{}, false, err
	}
	if s.Publisher != nil {
		s.Publisher.IncidentStored(got, created)
	}
	return got, created, nil
}

func (s *Service) canSubmit(who access.Principal, ch Channel) error {
	if who.Public() {
		if ch == Open311 {
			return nil
		}
		return errs.E(errs.Unauthorized, "", "the public reports through Open311; other channels need an intake key")
	}
	if !who.Any(access.Intake, access.Unit, access.Dispatcher) {
		return errs.E(errs.Forbidden, "", "key %q may not submit reports", who.Name)
	}
	return nil
}

// locate fills in's location and routing from r's point or address; an
// incident that cannot be located keeps Located false and a reason.
func (s *Service) locate(in *Incident, r Report, cat Category) {
	p, by, score := orb.Point{}, ByPoint, 1.0
	if r.Loc != nil {
		p = *r.Loc
	} else {
		var g Geocoder
		if s.Addresses != nil {
			g = s.Addresses()
		}
		if g == nil {
			in.Reason = ReasonNoDistrict
			return
		}
		m, err := g.Locate(r.Address)
		if err != nil {
			in.Reason = ReasonNoAddress
			return
		}
		p, by, score = m.Loc, LocatedBy(m.Method), m.Score
	}
	loc, reason := s.route(p, cat, in.ReportedAt)
	if reason != "" {
		in.Reason = reason
		return
	}
	loc.LocatedBy, loc.Score = by, score
	in.Located, in.Loc, in.LocatedBy, in.Score = true, loc.Loc, by, score
	in.Street, in.Community, in.Grid, in.Routing = loc.Street, loc.Community, loc.Grid, loc.Routing
}

// route asks the directory who is responsible at p; a reason instead
// when p cannot be routed.
func (s *Service) route(p orb.Point, cat Category, reportedAt time.Time) (Location, string) {
	var d Locator
	if s.Directory != nil {
		d = s.Directory()
	}
	if d == nil {
		return Location{}, ReasonNoDistrict
	}
	a, err := d.Locate(p[0], p[1], 5)
	if err != nil {
		return Location{}, ReasonOutside
	}
	return RouteFrom(a, p, cat, reportedAt), ""
}

// RouteFrom turns a dispatch answer at p into a Location: area codes, the
// sub-centre and work station, the grid's workers, the suggested unit
// (the nearest available, the directory answers by distance; one of the
// same street when the answer has one) and, for the department path, the
// department with its deadline.
func RouteFrom(a *dispatch.Answer, p orb.Point, cat Category, reportedAt time.Time) Location {
	loc := Location{Loc: p, Street: string(a.Street.Code), Community: string(a.Community.Code)}
	if a.Grid != nil {
		loc.Grid = string(a.Grid.Code)
	}
	r := Routing{Workers: make([]string, 0, len(a.Workers))}
	if a.Subcentre != nil {
		r.Subcentre = a.Subcentre.Code
	}
	if a.Workstation != nil {
		r.Workstation = a.Workstation.Code
	}
	for _, w := range a.Workers {
		r.Workers = append(r.Workers, w.ID)
	}
	for i, u := range a.Patrols {
		if i == 0 || u.Street == a.Street.Code {
			r.Unit, r.UnitDistM = u.ID, u.DistanceM
		}
		if u.Street == a.Street.Code {
			break
		}
	}
	if cat.Path == Department {
		r.Department = cat.Department
		r.Deadline = reportedAt.Add(Dur(cat.CloseH)).UTC().Format(time.RFC3339)
	}
	loc.Routing = r
	return loc
}

// Incident returns one incident; an intake key sees only its own.
func (s *Service) Incident(ctx context.Context, who access.Principal, id IncidentID) (Incident, error) {
	if !who.Any(access.Intake, access.Dispatcher) {
		return Incident{}, denied(who, "read incidents")
	}
	in, err := s.Store.Incident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if !who.Any(access.Dispatcher) && in.Submitter != who.Name {
		// Not "forbidden": another platform's report is not there for it.
		return Incident{}, errs.E(errs.NotFound, "incident", "no incident %d", id)
	}
	return in, nil
}

// Incidents lists incidents; an intake key sees only its own.
func (s *Service) Incidents(ctx context.Context, who access.Principal, f IncidentFilter) ([]Incident, error) {
	if !who.Any(access.Intake, access.Dispatcher) {
		return nil, denied(who, "read incidents")
	}
	if !who.Any(access.Dispatcher) {
		f.Submitter = who.Name
	}
	return s.Store.Incidents(ctx, f)
}

// SetLocation is a dispatcher locating a queued incident; it is routed
// and attached to a case then.
func (s *Service) SetLocation(ctx context.Context, who access.Principal, id IncidentID, p orb.Point) (Incident, error) {
	if !who.Any(access.Dispatcher) {
		return Incident{}, denied(who, "locate incidents")
	}
	if !validLonLat(p) {
		return Incident{}, errs.E(errs.Invalid, "location", "lon/lat out of range")
	}
	in, err := s.Store.Incident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	cat, ok := s.Categories.Get(in.Category)
	if !ok {
		return Incident{}, errs.E(errs.Conflict, "category", "category %q is no longer in the table", in.Category)
	}
	loc, reason := s.route(p, cat, in.ReportedAt)
	if reason != "" {
		return Incident{}, errs.E(errs.Invalid, "location", "the point cannot be routed: %s", reason)
	}
	loc.LocatedBy, loc.Score = ByManual, 1
	got, err := s.Store.LocateIncident(ctx, id, loc, cat, s.Now().UTC())
	if err == nil && s.Publisher != nil {
		s.Publisher.IncidentStored(got, false)
		s.publishCases(ctx, got.Case)
	}
	return got, err
}

// publishCases reads the cases a dispatcher's incident action (location,
// unlink) changed and publishes each with its latest event. Rare actions:
// the read costs less than a second interface would.
func (s *Service) publishCases(ctx context.Context, ids ...CaseID) {
	for _, id := range ids {
		if id == 0 {
			continue
		}
		c, err := s.Store.Case(ctx, id)
		if err != nil || len(c.Events) == 0 {
			continue // the change committed; a read failure costs its event only
		}
		s.Publisher.CaseChanged(c, c.Events[len(c.Events)-1])
	}
}

// Unlink is a dispatcher taking a duplicate off its case.
func (s *Service) Unlink(ctx context.Context, who access.Principal, id IncidentID) (Incident, error) {
	if !who.Any(access.Dispatcher) {
		return Incident{}, denied(who, "unlink incidents")
	}
	in, err := s.Store.Incident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	cat, _ := s.Categories.Get(in.Category)
	got, err := s.Store.UnlinkIncident(ctx, id, cat, who.Name, s.Now().UTC())
	if err == nil && s.Publisher != nil {
		s.publishCases(ctx, in.Case, got.Case)
	}
	return got, err
}

// Case returns a case if who may see it.
func (s *Service) Case(ctx context.Context, who access.Principal, id CaseID) (Case, error) {
	if !who.Any(access.Dispatcher, access.Unit, access.Department) {
		return Case{}, denied(who, "read cases")
	}
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return Case{}, err
	}
	if !who.Any(access.Dispatcher) && !ownCase(who, &c) {
		return Case{}, errs.E(errs.NotFound, "case", "no case %d", id)
	}
	return c, nil
}

// Cases lists cases; a unit sees its own unit's, a department its own.
func (s *Service) Cases(ctx context.Context, who access.Principal, f CaseFilter) ([]Case, int, error) {
	switch {
	case who.Any(access.Dispatcher):
	case who.Roles.Has(access.Unit):
		f.Unit = who.Unit
	case who.Roles.Has(access.Department):
		f.Department = who.Department
	default:
		return nil, 0, denied(who, "read cases")
	}
	return s.Store.Cases(ctx, f)
}

func ownCase(who access.Principal, c *Case) bool {
	return who.Roles.Has(access.Unit) && c.Unit == who.Unit && c.Path == OnSite ||
		who.Roles.Has(access.Department) && c.Department == who.Department && c.Path == Department
}

// fieldActions are what a unit or department may do on its own case.
var fieldActions = map[Action]bool{ActAccept: true, ActArrive: true, ActResolve: true}

// Act moves a case: dispatchers any case with any action; a unit or
// department only its own case, and only accept, arrive and resolve.
// The role rule is checked on the locked case, in the transaction.
func (s *Service) Act(ctx context.Context, who access.Principal, id CaseID, cmd Command) (Case, error) {
	if !who.Any(access.Dispatcher, access.Unit, access.Department) {
		return Case{}, denied(who, "move cases")
	}
	if err := cmd.Validate(); err != nil {
		return Case{}, err
	}
	cmd.Actor, cmd.Role = who.Name, roleName(who)
	return s.transition(ctx, id, func(c Case) error {
		if who.Any(access.Dispatcher) {
			return nil
		}
		if !ownCase(who, &c) {
			return errs.E(errs.Forbidden, "case", "case %d is not assigned to %s", id, who.Name)
		}
		if !fieldActions[cmd.Action] {
			return errs.E(errs.Forbidden, "action", "%s is the command centre's action", cmd.Action)
		}
		return nil
	}, cmd)
}

func roleName(who access.Principal) string {
	for _, r := range []access.Role{access.Dispatcher, access.Admin, access.Department, access.Unit} {
		if who.Roles.Has(r) {
			return string(r)
		}
	}
	return who.Roles.String()
}

func (s *Service) transition(ctx context.Context, id CaseID, check func(Case) error, cmd Command) (Case, error) {
	now := s.Now().UTC()
	var ev Event
	got, err := s.Store.Transition(ctx, id, func(c Case) (Case, Event, error) {
		if err := check(c); err != nil {
			return c, Event{}, err
		}
		cat, ok := s.Categories.Get(c.Category)
		if !ok {
			return c, Event{}, errs.E(errs.Conflict, "category", "category %q is no longer in the table", c.Category)
		}
		next, e, err := Apply(c, cmd, cat, now)
		ev = e
		return next, e, err
	})
	if err != nil {
		return Case{}, err
	}
	if s.Publisher != nil {
		s.Publisher.CaseChanged(got, ev)
	}
	return got, nil
}

func denied(who access.Principal, what string) error {
	if who.Public() {
		return errs.E(errs.Unauthorized, "", "a key is needed to %s", what)
	}
	return errs.E(errs.Forbidden, "", "key %q may not %s", who.Name, what)
}

// KPIs computes the evaluation figures; dispatchers and planners read them.
func (s *Service) KPIs(ctx context.Context, who access.Principal, q KPIQuery) (KPIs, error) {
	if !who.Any(access.Dispatcher, access.Planner) {
		return KPIs{}, denied(who, "read KPIs")
	}
	now := s.Now().UTC()
	q.AsOf = q.To
	if now.Before(q.AsOf) {
		q.AsOf = now
	}
	return s.Store.KPIs(ctx, q)
}

// errNotDue stops an escalation another replica (or pass) already made.
var errNotDue = errors.New("escalation not due")

// EscalateDue escalates every case whose escalation is due now, passes
// repeated until none is (after a long outage a case may be due at both
// levels). It returns how many escalations it made.
func (s *Service) EscalateDue(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	n := 0
	for pass := 0; pass < MaxEscalation+1; pass++ {
		ids, err := s.Store.EscalationsDue(ctx, now, 500)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		made := 0
		for _, id := range ids {
			_, err := s.transition(ctx, id, func(c Case) error {
				if !EscalationDue(&c, now) {
					return errNotDue
				}
				return nil
			}, Command{Action: ActEscalate, Actor: "system", Role: "system", Note: "overdue"})
			switch {
			case err == nil:
				made++
			case errors.Is(err, errNotDue) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotFound):
			default:
				return n + made, err
			}
		}
		n += made
		if made == 0 {
			return n, nil
		}
	}
	return n, nil
}

// errSameArea stops a re-route transaction that has nothing to store.
var errSameArea = errors.New("cases: already routed there")

// RerouteOpen re-routes every open case whose point lies in another grid
// (or community) under the current directory — after a plan is published
// — each in its own transaction with a reroute event; cases keep their
// history, stage, unit and department. It returns how many moved. A
// point the directory no longer locates (outside every grid) keeps its
// case where it was. Safe to rerun: a case already routed is skipped.
func (s *Service) RerouteOpen(ctx context.Context, plan string) (int, error) {
	var d Locator
	if s.Directory != nil {
		d = s.Directory()
	}
	if d == nil {
		return 0, nil
	}
	moved := 0
	for _, stage := range OpenStages {
		for offset := 0; ; {
			page, _, err := s.Store.Cases(ctx, CaseFilter{Stage: stage, Limit: 500, Offset: offset})
			if err != nil {
				return moved, err
			}
			for _, c := range page {
				ok, err := s.reroute(ctx, d, c, plan)
				if err != nil {
					return moved, err
				}
				if ok {
					moved++
				}
			}
			if len(page) < 500 {
				break
			}
			offset += len(page)
		}
	}
	return moved, nil
}

// reroute re-routes one case if the directory puts its point elsewhere.
func (s *Service) reroute(ctx context.Context, d Locator, c Case, plan string) (bool, error) {
	a, err := d.Locate(c.Loc[0], c.Loc[1], 0)
	if err != nil {
		return false, nil // outside every area now: leave it where it was
	}
	to := Area{Street: string(a.Street.Code), Community: string(a.Community.Code)}
	if a.Grid != nil {
		to.Grid = string(a.Grid.Code)
	}
	if _, _, ok := Reroute(c, to, plan, s.Now().UTC()); !ok {
		return false, nil
	}
	var ev Event
	got, err := s.Store.Transition(ctx, c.ID, func(cur Case) (Case, Event, error) {
		next, e, ok := Reroute(cur, to, plan, s.Now().UTC())
		if !ok {
			return cur, Event{}, errSameArea
		}
		ev = e
		return next, e, nil
	})
	switch {
	case errors.Is(err, errSameArea) || errs.Is(err, errs.NotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	if s.Publisher != nil {
		s.Publisher.CaseChanged(got, ev)
	}
	return true, nil
}

// RunEscalations runs EscalateDue every interval until ctx ends, starting
// at once, so a restart catches up on what fell due while it was down.
// Errors are handed to onErr (a store outage is retried next tick).
func (s *Service) RunEscalations(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.EscalateDue(ctx); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
