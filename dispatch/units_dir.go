package dispatch

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// unitInfo is a unit's reference data in the Directory.
type unitInfo struct {
	kind      UnitKind
	name      string
	street    bundle.StreetCode
	community bundle.CommunityCode // workers
	grid      bundle.GridCode      // workers, by the deal; "" without a plan
	home      *facility            // a patrol's home, a worker's work station; nil: none
}

func unitInfos(b *bundle.Bundle, comms map[string]*communityInfo, perComm map[*communityInfo][]*gridInfo) map[string]*unitInfo {
	out := make(map[string]*unitInfo, len(b.Patrols)+len(b.Workers))
	for i := range b.Patrols {
		p := &b.Patrols[i]
		f := bundle.Facility{Code: p.ID, Name: p.Callsign, Loc: p.Loc}
		out[p.ID] = &unitInfo{kind: KindPatrol, name: p.Callsign, street: p.Street, home: newFacility(&f)}
	}
	names := map[string]string{}
	for _, w := range b.Workers {
		names[w.ID] = w.Name
	}
	for _, c := range comms {
		for _, w := range c.workers {
			out[w.ID] = &unitInfo{kind: KindWorker, name: names[w.ID], street: c.street.ref.Code, community: c.ref.Code, home: c.workstation}
		}
		for _, g := range perComm[c] {
			for _, w := range g.workers {
				out[w.ID].grid = g.ref.Code
			}
		}
	}
	return out
}

// HomeIndex is a new live index of the patrols, each available at its
// bundle position.
func (d *Directory) HomeIndex() (*geo.UnitIndex, error) { return d.homeIndex(KindPatrol) }

// homeIndex is a new live index of one kind's units, available at home:
// a patrol at its bundle position, a worker at its community's work
// station (a worker of a community without one is left out until it
// reports).
func (d *Directory) homeIndex(kind UnitKind) (*geo.UnitIndex, error) {
	ix := geo.NewUnitIndex()
	for id, u := range d.info {
		if u.home == nil || u.kind != kind {
			continue
		}
		if err := ix.Upsert(id, u.home.ref.Lon, u.home.ref.Lat, geo.UnitAvailable); err != nil {
			return nil, fmt.Errorf("unit %s home: %w", id, err)
		}
	}
	return ix, nil
}

// LoadUnits puts the stored units' positions and effective statuses into
// the directory's live indexes (units the directory does not know are
// skipped).
func (d *Directory) LoadUnits(units []Unit) error {
	for _, u := range units {
		if _, ok := d.info[u.ID]; !ok {
			continue
		}
		ix := d.indexOf(u.ID)
		st := Effective(u.ReportedStatus, u.HeldCase).Geo()
		if u.ReportedAt != nil {
			d.clocks.mu.Lock()
			d.clocks.set(u.ID, unitClock{pos: *u.ReportedAt, status: *u.ReportedAt})
			d.clocks.mu.Unlock()
		}
		if u.Loc == nil {
			ix.SetStatus(u.ID, st)
			continue
		}
		if err := ix.Upsert(u.ID, u.Loc[0], u.Loc[1], st); err != nil {
			return fmt.Errorf("unit %s: %w", u.ID, err)
		}
	}
	return nil
}

// indexOf is the live index a unit belongs in (the patrols' for an
// unknown id).
func (d *Directory) indexOf(id string) *geo.UnitIndex {
	if u := d.info[id]; u != nil && u.kind == KindWorker {
		return d.workers
	}
	return d.units
}

type dutyFilter struct {
	onDuty func(subject string, at time.Time) bool
	now    func() time.Time
}

// SetOnDuty makes Locate offer only patrols on shift at now() (the duty
// roster's OnDuty); nil onDuty offers every available patrol again.
// onDuty runs under the live index's read lock: it must not call back
// into the directory.
func (d *Directory) SetOnDuty(onDuty func(subject string, at time.Time) bool, now func() time.Time) {
	if onDuty == nil {
		d.duty.Store(nil)
		return
	}
	if now == nil {
		now = time.Now
	}
	d.duty.Store(&dutyFilter{onDuty: onDuty, now: now})
}

// SetUnitStatus changes a unit's status where the live index has it (a
// case dispatched to it or released); false when the index has no such
// unit.
func (d *Directory) SetUnitStatus(id string, st UnitStatus) bool {
	return d.indexOf(id).SetStatus(id, st.Geo())
}

// UnitStatusOf is the live index's status of a unit.
func (d *Directory) UnitStatusOf(id string) (UnitStatus, bool) {
	_, _, st, ok := d.indexOf(id).Get(id)
	if !ok {
		return "", false
	}
	switch st {
	case geo.UnitAvailable:
		return StatusAvailable, true
	case geo.UnitBusy:
		return StatusBusy, true
	}
	return StatusOffDuty, true
}

// WorkerGrid is the grid the directory deals a worker to ("" without a
// plan or for a patrol).
func (d *Directory) WorkerGrid(id string) bundle.GridCode {
	if u := d.info[id]; u != nil {
		return u.grid
	}
	return ""
}

// Speeds are the straight-line speeds suggestions turn distances into
// ETAs with.
type Speeds struct {
	PatrolKmh float64 // a patrol vehicle in town
	WorkerKmh float64 // a grid worker on foot
}

// DefaultSpeeds: 30 km/h through town for a patrol, 4.5 km/h walking.
var DefaultSpeeds = Speeds{PatrolKmh: 30, WorkerKmh: 4.5}

// Validate rejects non-positive or non-finite speeds.
func (s Speeds) Validate() error {
	for _, v := range []struct {
		f string
		v float64
	}{{"patrol_kmh", s.PatrolKmh}, {"worker_kmh", s.WorkerKmh}} {
		if !(v.v > 0) || math.IsInf(v.v, 0) {
			return errs.E(errs.Invalid, v.f, "a speed is a positive number of km/h; got %v", v.v)
		}
	}
	return nil
}

// Suggestion is a unit suggested for an incident: an available on-duty
// unit, with its straight-line distance and the time to cover it at the
// unit kind's speed.
type Suggestion struct {
	Unit       string            `json:"unit"`
	Kind       UnitKind          `json:"kind"`
	Name       string            `json:"name"`
	Street     bundle.StreetCode `json:"street"`
	SameStreet bool              `json:"same_street"`
	DistanceM  float64           `json:"distance_m"`
	EtaS       float64           `json:"eta_s"`
}

// SuggestQuery asks for units for an incident at (Lon, Lat) of Street.
type SuggestQuery struct {
	Lon, Lat float64
	Street   bundle.StreetCode // the incident's street; "" looks it up
	Kinds    []UnitKind        // the kinds that suit; none: every kind
	K        int               // how many, 1..MaxPatrols
	At       time.Time
	// OnDuty says whether a unit is on shift at a time; nil: always.
	OnDuty func(subject string, at time.Time) bool
	Speeds Speeds
}

// Suggest returns up to K available on-duty units of suitable kinds: the
// incident street's nearest first, then the rest of the district's
// nearest, each group by distance.
func (d *Directory) Suggest(q SuggestQuery) ([]Suggestion, error) {
	if err := checkPoint(q.Lon, q.Lat); err != nil {
		return nil, err
	}
	if q.K < 1 || q.K > MaxPatrols {
		return nil, errs.E(errs.Invalid, "k", "%d units asked for; k must be within 1..%d", q.K, MaxPatrols)
	}
	if q.Speeds == (Speeds{}) {
		q.Speeds = DefaultSpeeds
	}
	if err := q.Speeds.Validate(); err != nil {
		return nil, err
	}
	if q.Street == "" {
		a, err := d.Locate(q.Lon, q.Lat, 0)
		if err != nil {
			return nil, err
		}
		q.Street = a.Street.Code
	}
	kind := map[UnitKind]bool{}
	for _, k := range q.Kinds {
		kind[k] = true
	}
	ok := func(id string, st geo.UnitStatus, same bool) bool {
		u := d.info[id]
		if st != geo.UnitAvailable || u == nil || (len(kind) > 0 && !kind[u.kind]) || (u.street == q.Street) != same {
			return false
		}
		return q.OnDuty == nil || q.OnDuty(id, q.At)
	}
	out := make([]Suggestion, 0, q.K)
	add := func(ns []geo.Neighbor, same bool) {
		for _, n := range ns {
			u := d.info[n.ID]
			kmh := q.Speeds.PatrolKmh
			if u.kind == KindWorker {
				kmh = q.Speeds.WorkerKmh
			}
			out = append(out, Suggestion{Unit: n.ID, Kind: u.kind, Name: u.name, Street: u.street, SameStreet: same,
				DistanceM: n.DistanceM, EtaS: math.Round(n.DistanceM / (kmh / 3.6))})
		}
	}
	// Each group (the street, then the rest of the district) from every
	// suitable kind's index, merged by distance (then id).
	group := func(k int, same bool) []geo.Neighbor {
		var ns []geo.Neighbor
		for _, ix := range []*geo.UnitIndex{d.units, d.workers} {
			ns = append(ns, ix.Nearest(q.Lon, q.Lat, k, func(id string, st geo.UnitStatus) bool { return ok(id, st, same) })...)
		}
		slices.SortFunc(ns, func(a, b geo.Neighbor) int {
			if c := cmp.Compare(a.DistanceM, b.DistanceM); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		return ns[:min(k, len(ns))]
	}
	add(group(q.K, true), true)
	if len(out) < q.K {
		add(group(q.K-len(out), false), false)
	}
	return out, nil
}
