package dispatch

import (
	"sync"
	"time"

	"github.com/gridd/gridd/errs"
)

// Reports and status changes reach a replica's live index out of order:
// another replica's events come through the event log in the order they
// were appended, not the order they were stored, and a replica's own
// events come back after it has moved on. The directory keeps, per unit,
// the time of the report its position comes from and of the status it
// holds, and ignores what is older — the rule the store keeps for
// positions (an older report is history and does not move the unit).

// unitClock is when a unit's live position and status were set: the
// report time of its position, and the latest time of a report or status
// change applied to its status.
type unitClock struct{ pos, status time.Time }

type unitClocks struct {
	mu sync.Mutex
	at map[string]unitClock
}

func (c *unitClocks) get(id string) unitClock {
	if c.at == nil {
		return unitClock{}
	}
	return c.at[id]
}

func (c *unitClocks) set(id string, u unitClock) {
	if c.at == nil {
		c.at = map[string]unitClock{}
	}
	c.at[id] = u
}

// ReportUnit moves a unit to a report's position and status, made at at,
// unless the live index holds a later report of the unit: a report that
// arrives late is ignored, as the store keeps it in history without moving
// the unit. A report at the same time as the held one is applied again
// (the same report, or one the store took as a duplicate). The report's
// status is kept unless a later status change was applied. applied says
// whether the unit moved; an unknown unit or a bad point is an error.
func (d *Directory) ReportUnit(id string, lon, lat float64, st UnitStatus, at time.Time) (applied bool, err error) {
	if _, ok := d.info[id]; !ok {
		return false, errs.E(errs.NotFound, "id", "no unit %q", id)
	}
	d.clocks.mu.Lock()
	defer d.clocks.mu.Unlock()
	c := d.clocks.get(id)
	if at.Before(c.pos) {
		return false, nil
	}
	if at.Before(c.status) {
		if cur, ok := d.UnitStatusOf(id); ok {
			st = cur
		}
	} else {
		c.status = at
	}
	if err := d.SetUnit(id, lon, lat, st.Geo()); err != nil {
		return false, err
	}
	c.pos = at
	d.clocks.set(id, c)
	return true, nil
}

// ApplyUnitStatus sets a unit's status as of a change made at at (an
// event from the stream), unless a later report or change was applied.
// known is false when the live index has no such unit (nothing is set).
func (d *Directory) ApplyUnitStatus(id string, st UnitStatus, at time.Time) (applied, known bool) {
	d.clocks.mu.Lock()
	defer d.clocks.mu.Unlock()
	c := d.clocks.get(id)
	if _, ok := d.UnitStatusOf(id); !ok {
		return false, false
	}
	if at.Before(c.status) {
		return false, true
	}
	d.SetUnitStatus(id, st)
	c.status = at
	d.clocks.set(id, c)
	return true, true
}

// SetUnitStatusAt sets a unit's status, read from the store just now at
// at, whatever status changes were applied before (the store is the
// truth), and keeps at (if later) so that older changes arriving after it
// are ignored. False when the live index has no such unit.
func (d *Directory) SetUnitStatusAt(id string, st UnitStatus, at time.Time) bool {
	d.clocks.mu.Lock()
	defer d.clocks.mu.Unlock()
	if !d.SetUnitStatus(id, st) {
		return false
	}
	c := d.clocks.get(id)
	if at.After(c.status) {
		c.status = at
		d.clocks.set(id, c)
	}
	return true
}
