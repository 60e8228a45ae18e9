package cases

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/events"
)

type recorder struct{ evs []events.Event }

func (r *recorder) Publish(_ context.Context, evs ...events.Event) { r.evs = append(r.evs, evs...) }

type counting struct{ incidents, cases int }

func (c *counting) IncidentStored(Incident, bool) { c.incidents++ }
func (c *counting) CaseChanged(Case, Event)       { c.cases++ }

func TestEventsAdapter(t *testing.T) {
	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	p := orb.Point{118.62, 32.05}
	located := Incident{ID: 9, Channel: Hotline, Category: "oth_other", ReportedAt: at, ReceivedAt: at, Submitter: "key",
		Located: true, Loc: p, Street: "S", Community: "C", Grid: "G", Case: 4}
	dup := located
	dup.Duplicate = true
	queued := Incident{ID: 10, Channel: Hotline, Category: "oth_other", ReportedAt: at, ReceivedAt: at, Reason: ReasonOutside}
	for _, c := range []struct {
		name    string
		do      func(Publisher)
		types   []events.Type
		action  Action
		located bool
	}{
		{"replayed report", func(p Publisher) { p.IncidentStored(located, false) }, nil, "", false},
		{"new report opening a case", func(p Publisher) { p.IncidentStored(located, true) }, []events.Type{events.IncidentCreated, events.CaseChanged}, ActOpen, true},
		{"new duplicate", func(p Publisher) { p.IncidentStored(dup, true) }, []events.Type{events.IncidentCreated, events.CaseChanged}, ActLink, true},
		{"new unlocated report", func(p Publisher) { p.IncidentStored(queued, true) }, []events.Type{events.IncidentCreated}, "", false},
		{"case event", func(pub Publisher) {
			pub.CaseChanged(Case{ID: 4, Stage: Filed, Loc: p}, Event{Seq: 2, Action: ActFile, From: Reported, To: Filed, At: at})
		}, []events.Type{events.CaseChanged}, ActFile, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{}
			n := &counting{}
			c.do(Publishers{Events{Events: r}, nil, n})
			if len(r.evs) != len(c.types) {
				t.Fatalf("%d events, want %v", len(r.evs), c.types)
			}
			for i, ev := range r.evs {
				if ev.Type != c.types[i] || ev.At.IsZero() {
					t.Fatalf("event %d: %s at %v, want %s", i, ev.Type, ev.At, c.types[i])
				}
				if ev.Type == events.IncidentCreated && (ev.Loc != nil) != c.located {
					t.Fatalf("incident.created located %v, want %v", ev.Loc != nil, c.located)
				}
				if ev.Type == events.CaseChanged {
					var cj CaseJSON
					if err := json.Unmarshal(ev.Data, &cj); err != nil || cj.Case != 4 || cj.Action != c.action || ev.Loc == nil || *ev.Loc != p {
						t.Fatalf("case.changed %s at %v (%v), want case 4 %s at %v", ev.Data, ev.Loc, err, c.action, p)
					}
				}
			}
			if n.incidents+n.cases != 1 {
				t.Fatalf("the other publisher saw %+v, want the one change", n)
			}
		})
	}
}
