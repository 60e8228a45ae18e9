package cases

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Store is what cases need from storage. Every write is one transaction
// that appends the case's events and updates its derived state together.
// Error codes: NotFound for a missing incident or case, Conflict for a
// transition the lifecycle forbids (a *StageError) or a unit that holds
// another open case, Invalid for bad input, Unavailable when the database
// is down (retry).
type Store interface {
	// Intake stores a new incident. It returns the stored incident and
	// true, or — when (Channel, ExternalID) is already stored — the
	// existing one and false, also under concurrent retries. A located
	// incident is linked to an open case of the same category within
	// DuplicateRadiusM and DuplicateWindow if there is one, else it opens
	// a case (Open); both happen in the intake transaction.
	Intake(ctx context.Context, in *Incident, cat Category, now time.Time) (Incident, bool, error)
	// Incident returns one incident.
	Incident(ctx context.Context, id IncidentID) (Incident, error)
	// Incidents lists incidents by id.
	Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	// LocateIncident sets an unlocated incident's location (ByManual) and
	// routing, and links or opens its case as Intake does. Conflict when
	// it is already located.
	LocateIncident(ctx context.Context, id IncidentID, loc Location, cat Category, now time.Time) (Incident, error)
	// UnlinkIncident takes a duplicate off its case and opens a case of
	// its own for it. Conflict when it is not a linked duplicate.
	UnlinkIncident(ctx context.Context, id IncidentID, cat Category, actor string, now time.Time) (Incident, error)
	// Case returns a case with its incidents and events.
	Case(ctx context.Context, id CaseID) (Case, error)
	// Cases lists cases by id (without incidents and events) and the
	// number matching in all.
	Cases(ctx context.Context, f CaseFilter) ([]Case, int, error)
	// Transition reads the case, locked, calls apply and stores the case
	// it returns with its event in one transaction. A unit that holds
	// another case at a HoldsUnit stage is a Conflict naming that case.
	Transition(ctx context.Context, id CaseID, apply func(Case) (Case, Event, error)) (Case, error)
	// EscalationsDue lists open cases whose EscalateAt is at or before
	// now, oldest first, at most limit.
	EscalationsDue(ctx context.Context, now time.Time, limit int) ([]CaseID, error)
	// KPIs computes q's figures in the database.
	KPIs(ctx context.Context, q KPIQuery) (KPIs, error)
}

// Location is where a dispatcher or the geocoder put an incident: the
// point, how it was found, and the area codes and routing there.
type Location struct {
	Loc       orb.Point
	LocatedBy LocatedBy
	Score     float64
	Street    string
	Community string
	Grid      string
	Routing   Routing
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	Located   *bool  // nil for both
	Submitter string // only this key's submissions (intake role)
	Channel   Channel
	Case      CaseID
	Limit     int // 0: 100
	AfterID   IncidentID
}

// CaseFilter selects cases.
type CaseFilter struct {
	Stage      Stage
	Street     string
	Community  string
	Grid       string
	Category   string
	Channel    Channel
	Unit       string
	Department string
	OverdueAt  time.Time  // non-zero: only cases overdue at this time
	BBox       *orb.Bound // cases located in it
	From, To   time.Time  // reported in [From, To); zero for open ends
	Limit      int        // 0: 100
	Offset     int
}

// Publisher receives what changed, after the change committed (the units
// issue streams these as events). Implementations must not block.
type Publisher interface {
	IncidentStored(in Incident, created bool)
	CaseChanged(c Case, ev Event)
}
