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
