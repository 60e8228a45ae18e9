// Package events is gridd's event stream: what changed, after it
// committed, for the map, integrations and the other replicas. An event
// has a type, a time, an optional WGS84 point (for bbox filters) and a
// JSON body; the log gives it a sequence id, which is the SSE event id
// clients resume from (Last-Event-ID).
//
// Producers (the case service, the units handlers, plan publishing) hold
// only a Publisher; the log, the hub that fans events out to stream
// clients and the PostgreSQL LISTEN/NOTIFY between replicas live behind
// it.
package events

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paulmach/orb"
)

// Type names what happened.
type Type string

const (
	IncidentCreated Type = "incident.created" // a new incident was stored
	CaseChanged     Type = "case.changed"     // a case event was appended
	UnitPosition    Type = "unit.position"    // a unit moved
	UnitStatus      Type = "unit.status"      // a unit's status changed
	PlanPublished   Type = "plan.published"   // a grid plan was published
	ShiftsChanged   Type = "shifts.changed"   // the duty roster changed
)

// Types lists every type, for validating subscribers' type filters.
var Types = []Type{IncidentCreated, CaseChanged, UnitPosition, UnitStatus, PlanPublished, ShiftsChanged}

// Event is one thing that happened. ID is 0 until the log stores it.
type Event struct {
	ID   int64           `json:"id"`
	Type Type            `json:"type"`
	At   time.Time       `json:"at"`
	Loc  *orb.Point      `json:"-"` // where, for bbox filters; nil: everywhere
	Data json.RawMessage `json:"data"`
	// Key, when set, makes appending idempotent: the log stores one event
	// per key, so a batch retried after its commit's answer was lost is
	// not stored twice. The Bus sets it; it is not streamed.
	Key string `json:"-"`
}

// Publisher takes events after the change they describe committed. It
// must not block the caller for long and never fails the change: an error
// is the publisher's to log.
type Publisher interface {
	Publish(ctx context.Context, evs ...Event)
}

// New builds an event of type t at time at with v as its JSON body; a v
// that cannot be encoded is a programming error and panics.
func New(t Type, at time.Time, loc *orb.Point, v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		panic("events: encode " + string(t) + ": " + err.Error())
	}
	return Event{Type: t, At: at.UTC(), Loc: loc, Data: b}
}

// Discard is a Publisher that drops every event.
type Discard struct{}

// Publish drops evs.
func (Discard) Publish(context.Context, ...Event) {}
