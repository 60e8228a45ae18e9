package cases

import "github.com/gridd/gridd/dispatch"

// patrolOnlyClasses are the category classes only a joint patrol handles
// on site: street order, security and emergencies need its powers (and
// its vehicle); a grid worker handles the rest of the on-site classes
// (city appearance, posters, disputes, livelihood, safety, other) as well
// as a patrol does. categories.csv has no column for it: the class
// decides, so a new category of a known class needs nothing more.
var patrolOnlyClasses = map[string]bool{
	"街面秩序": true, // street order
	"治安隐患": true, // security hazards
	"突发事件": true, // emergencies
}

// UnitKinds are the kinds of field unit suggested for a case of the
// category: none on the department path, patrols only for the
// patrol-only classes, else patrols and grid workers.
func (c Category) UnitKinds() []dispatch.UnitKind {
	switch {
	case c.Path == Department:
		return nil
	case patrolOnlyClasses[c.Class]:
		return []dispatch.UnitKind{dispatch.KindPatrol}
	}
	return []dispatch.UnitKind{dispatch.KindPatrol, dispatch.KindWorker}
}

// Fanout publishes to every non-nil publisher in order; nil when there is
// none. The units' live index and the event stream both listen to the
// case service this way.
func Fanout(ps ...Publisher) Publisher {
	var out fanout
	for _, p := range ps {
		if f, ok := p.(fanout); ok {
			out = append(out, f...)
		} else if p != nil {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type fanout []Publisher

func (f fanout) IncidentStored(in Incident, created bool) {
	for _, p := range f {
		p.IncidentStored(in, created)
	}
}

func (f fanout) CaseChanged(c Case, ev Event) {
	for _, p := range f {
		p.CaseChanged(c, ev)
	}
}
