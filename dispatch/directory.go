package dispatch

import (
	"cmp"
	"math"
	"slices"
	"sync/atomic"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// MaxPatrols is the largest k Locate accepts.
const MaxPatrols = 50

// Directory answers "who is responsible here" for one bundle and one plan.
// Everything but patrol positions is fixed at NewDirectory; a new plan
// means a new Directory (sharing the UnitIndex). Safe for concurrent use.
//
// # Workers and grids
//
// The bundle attaches workers to communities, not grids. NewDirectory
// deals each community's workers, sorted by id, round-robin over the
// community's grids sorted by code: worker 1 to grid 001, worker 2 to grid
// 002, ..., wrapping around when there are more workers than grids. The
// same bundle and plan always give the same assignment; a grid gets no
// worker when its community has fewer workers than grids.
type Directory struct {
	loc   *geo.Locator
	units *geo.UnitIndex // patrols
	// workers is the grid workers' live index, apart from the patrols'
	// so that Locate's patrol search never wades through them.
	workers *geo.UnitIndex
	// near finds the nearest grid (or community without a plan) for
	// points outside the district, from an index of their boundaries, so
	// that an outside answer costs about what an inside one does; nearOf
	// is the layer it indexes (the same area order), for the codes.
	near   *geo.BoundaryIndex
	nearOf *geo.PolygonIndex

	communities map[string]*communityInfo
	grids       map[string]*gridInfo
	// byComm and byGrid are the infos in the order of the locator's
	// community and grid indexes, so the hot path indexes a slice instead
	// of hashing a code.
	byComm  []*communityInfo
	byGrid  []*gridInfo
	patrols map[string]*bundle.Patrol
	// info is every unit's (patrols and workers) reference data, for
	// GET /units and suggestions.
	info    map[string]*unitInfo
	hasPlan bool
	// duty, when set, keeps units off shift out of Locate's patrols.
	duty atomic.Pointer[dutyFilter]
	// clocks order the reports and status changes applied to the live
	// indexes (unitclock.go).
	clocks unitClocks
}

type streetInfo struct {
	ref       StreetRef
	subcentre *facility
}

type communityInfo struct {
	ref         CommunityRef
	street      *streetInfo
	workstation *facility
	workers     []WorkerRef // all the community's workers, by id
}

// facility is a FacilityRef without its distance, with what the haversine
// formula needs precomputed: two facility distances were half of Locate's
// time with orb's general DistanceHaversine.
type facility struct {
	ref        FacilityRef
	lonR, latR float64 // radians
	cosLat     float64
}

func newFacility(f *bundle.Facility) *facility {
	latR := f.Loc[1] * math.Pi / 180
	return &facility{
		ref:  FacilityRef{Code: f.Code, Name: f.Name, Lon: f.Loc[0], Lat: f.Loc[1]},
		lonR: f.Loc[0] * math.Pi / 180, latR: latR, cosLat: math.Cos(latR),
	}
}

// at returns the reference with the great-circle distance from the point
// (lonR, latR in radians, cosLat its cosine), by the same haversine formula
// and sphere as geo.DistanceM.
func (f *facility) at(lonR, latR, cosLat float64) FacilityRef {
	sLat := math.Sin((f.latR - latR) / 2)
	sLon := math.Sin((f.lonR - lonR) / 2)
	h := sLat*sLat + cosLat*f.cosLat*sLon*sLon
	r := f.ref
	r.DistanceM = 2 * geo.EarthRadiusM * math.Asin(math.Sqrt(min(h, 1)))
	return r
}

type gridInfo struct {
	ref       GridRef
	community *communityInfo
	workers   []WorkerRef
}

// NewDirectory indexes b's communities and the plan's grids (nil or empty:
// no plan) for Locate. units holds patrol positions; when nil, a new index
// is made with every patrol of b at its home position and available.
// Inconsistent input (a grid or worker of an unknown community, a grid code
// not under its community, duplicate codes, invalid geometry) is an
// errs.Invalid error listing every problem.
func NewDirectory(b *bundle.Bundle, grids []gridplan.Grid, units *geo.UnitIndex) (*Directory, error) {
	if b == nil {
		return nil, errs.E(errs.Invalid, "bundle", "no bundle")
	}
	var probs errs.List
	d := &Directory{
		communities: make(map[string]*communityInfo, len(b.Communities)),
		grids:       make(map[string]*gridInfo, len(grids)),
		patrols:     make(map[string]*bundle.Patrol, len(b.Patrols)),
		hasPlan:     len(grids) > 0,
	}
	streets := indexStreets(b, &probs)
	commAreas := d.indexCommunities(b, streets, &probs)
	gridAreas, perComm := d.indexGrids(grids, &probs)
	d.info = unitInfos(b, d.communities, perComm)
	d.indexPatrols(b, &probs)
	if len(commAreas) == 0 {
		probs = append(probs, errs.E(errs.Invalid, "communities", "the bundle has no communities"))
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if err := d.buildLocator(commAreas, gridAreas); err != nil {
		return nil, err
	}
	var err error
	if units == nil {
		if units, err = d.HomeIndex(); err != nil {
			return nil, err
		}
	}
	d.units = units
	if d.workers, err = d.homeIndex(KindWorker); err != nil {
		return nil, err
	}
	return d, nil
}

// indexStreets indexes b's streets with their command sub-centres (of
// several, the smallest code, so that the answer is stable).
func indexStreets(b *bundle.Bundle, probs *errs.List) map[bundle.StreetCode]*streetInfo {
	streets := make(map[bundle.StreetCode]*streetInfo, len(b.Streets))
	for _, s := range b.Streets {
		if _, dup := streets[s.Code]; dup {
			*probs = append(*probs, errs.E(errs.Invalid, "streets", "duplicate street %s", s.Code))
			continue
		}
		streets[s.Code] = &streetInfo{ref: StreetRef{Code: s.Code, Name: s.Name}}
	}
	for i := range b.Facilities {
		f := &b.Facilities[i]
		if f.Kind != bundle.Subcentre {
			continue
		}
		if s := streets[f.Street]; s != nil && (s.subcentre == nil || f.Code < s.subcentre.ref.Code) {
			s.subcentre = newFacility(f)
		}
	}
	return streets
}

// indexCommunities indexes b's communities under their streets, with their
// work stations (the smallest code of several) and their workers in id
// order, and answers their areas for the locator.
func (d *Directory) indexCommunities(b *bundle.Bundle, streets map[bundle.StreetCode]*streetInfo, probs *errs.List) []geo.Area {
	commAreas := make([]geo.Area, 0, len(b.Communities))
	for _, c := range b.Communities {
		code := string(c.Code)
		if _, dup := d.communities[code]; dup {
			*probs = append(*probs, errs.E(errs.Invalid, "communities", "duplicate community %s", c.Code))
			continue
		}
		s := streets[c.Street]
		if s == nil {
			*probs = append(*probs, errs.E(errs.Invalid, "communities", "community %s: unknown street %s", c.Code, c.Street))
			continue
		}
		d.communities[code] = &communityInfo{ref: CommunityRef{Code: c.Code, Name: c.Name, Kind: c.Kind}, street: s, workers: []WorkerRef{}}
		commAreas = append(commAreas, geo.Area{Code: code, Geom: c.Geom})
	}
	for i := range b.Facilities {
		f := &b.Facilities[i]
		if f.Kind != bundle.Workstation {
			continue
		}
		if c := d.communities[string(f.Community)]; c != nil && (c.workstation == nil || f.Code < c.workstation.ref.Code) {
			c.workstation = newFacility(f)
		}
	}
	for _, w := range b.Workers {
		c := d.communities[string(w.Community)]
		if c == nil {
			*probs = append(*probs, errs.E(errs.Invalid, "workers", "worker %s: unknown community %s", w.ID, w.Community))
			continue
		}
		c.workers = append(c.workers, WorkerRef{ID: w.ID, Name: w.Name})
	}
	for _, c := range d.communities {
		slices.SortFunc(c.workers, func(a, b WorkerRef) int { return cmp.Compare(a.ID, b.ID) })
	}
	return commAreas
}

// indexGrids indexes the plan's grids in code order under their
// communities and deals each community's workers to its grids round
// robin; it answers the grids' areas for the locator and each community's
// grids.
func (d *Directory) indexGrids(grids []gridplan.Grid, probs *errs.List) ([]geo.Area, map[*communityInfo][]*gridInfo) {
	sorted := slices.Clone(grids)
	slices.SortStableFunc(sorted, func(a, b gridplan.Grid) int { return cmp.Compare(a.Code, b.Code) })
	gridAreas := make([]geo.Area, 0, len(sorted))
	perComm := map[*communityInfo][]*gridInfo{}
	for _, g := range sorted {
		code := string(g.Code)
		if _, dup := d.grids[code]; dup {
			*probs = append(*probs, errs.E(errs.Invalid, "grids", "duplicate grid %s", g.Code))
			continue
		}
		c := d.communities[string(g.Community)]
		switch {
		case c == nil:
			*probs = append(*probs, errs.E(errs.Invalid, "grids", "grid %s: unknown community %s", g.Code, g.Community))
			continue
		case len(g.Code) != 15 || g.Code.Community() != g.Community:
			*probs = append(*probs, errs.E(errs.Invalid, "grids", "grid %s is not a code under its community %s", g.Code, g.Community))
			continue
		}
		gi := &gridInfo{ref: GridRef{Code: g.Code, Households: g.Households}, community: c, workers: []WorkerRef{}}
		d.grids[code] = gi
		perComm[c] = append(perComm[c], gi)
		gridAreas = append(gridAreas, geo.Area{Code: code, Geom: g.Geom})
	}
	for c, gs := range perComm {
		for i, w := range c.workers {
			g := gs[i%len(gs)]
			g.workers = append(g.workers, w)
		}
	}
	return gridAreas, perComm
}

// indexPatrols copies b's patrols (the Directory must not change with b).
func (d *Directory) indexPatrols(b *bundle.Bundle, probs *errs.List) {
	for i := range b.Patrols {
		p := new(bundle.Patrol)
		*p = b.Patrols[i]
		if _, dup := d.patrols[p.ID]; dup {
			*probs = append(*probs, errs.E(errs.Invalid, "patrols", "duplicate patrol %s", p.ID))
			continue
		}
		d.patrols[p.ID] = p
	}
}

// buildLocator builds the point locator over the communities and grids
// (none: communities only), the lookups from its area indices to the
// Directory's entries, and the boundary index for nearest answers (the
// grids', or the communities' without a plan).
func (d *Directory) buildLocator(commAreas, gridAreas []geo.Area) error {
	var err error
	if len(gridAreas) > 0 {
		d.loc, err = geo.NewLocator(nil, commAreas, gridAreas)
	} else {
		d.loc, err = geo.NewLocator(nil, commAreas, nil)
	}
	if err != nil {
		return err
	}
	for i := range d.loc.Communities().Len() {
		d.byComm = append(d.byComm, d.communities[d.loc.Communities().Area(i).Code])
	}
	if gi := d.loc.Grids(); gi != nil {
		for i := range gi.Len() {
			d.byGrid = append(d.byGrid, d.grids[gi.Area(i).Code])
		}
	}
	nearAreas := gridAreas
	if d.nearOf = d.loc.Grids(); d.nearOf == nil {
		d.nearOf, nearAreas = d.loc.Communities(), commAreas
	}
	d.near, err = geo.NewBoundaryIndex(nearAreas)
	return err
}

// HasPlan reports whether the Directory was built with grids.
func (d *Directory) HasPlan() bool { return d.hasPlan }

// available keeps available units; a plain function, so passing it
// allocates nothing.
func available(_ string, st geo.UnitStatus) bool { return st == geo.UnitAvailable }

// Units returns the patrol position index (shared, not a copy).
func (d *Directory) Units() *geo.UnitIndex { return d.units }

// answerBuf lets Locate make its answer and the parts it points to in one
// allocation.
type answerBuf struct {
	a       Answer
	grid    GridRef
	sub, ws FacilityRef
}

// Locate says who is responsible at (lon, lat), with the k (0..MaxPatrols)
// nearest available patrols. Non-finite or out-of-range coordinates and a
// bad k are errs.Invalid naming lon, lat or k; a point outside the
// district is an *OutsideError (errs.NotFound).
//
// The street is the community's street; the community is the grid's when
// the point is in a grid, else the one whose polygon holds the point.
// The answer's Workers slice is shared with the Directory and must be
// treated as read-only; everything else belongs to the caller.
func (d *Directory) Locate(lon, lat float64, k int) (*Answer, error) {
	if err := checkPoint(lon, lat); err != nil {
		return nil, err
	}
	if k < 0 || k > MaxPatrols {
		return nil, errs.E(errs.Invalid, "k", "%d patrols asked for; k must be within 0..%d", k, MaxPatrols)
	}
	// The locator's own indexes, grid first: a grid names its community,
	// so the community lookup is needed only off the plan.
	var g *gridInfo
	var c *communityInfo
	if gi := d.loc.Grids(); gi != nil {
		if i, ok := gi.Locate(lon, lat); ok {
			g = d.byGrid[i]
			c = g.community
		}
	}
	if c == nil {
		if i, ok := d.loc.Communities().Locate(lon, lat); ok {
			c = d.byComm[i]
		}
	}
	if c == nil {
		return nil, d.outside(lon, lat)
	}

	buf := &answerBuf{}
	a := &buf.a
	a.Street = c.street.ref
	a.Community = c.ref
	lonR, latR := lon*math.Pi/180, lat*math.Pi/180
	cosLat := math.Cos(latR)
	if f := c.street.subcentre; f != nil {
		buf.sub = f.at(lonR, latR, cosLat)
		a.Subcentre = &buf.sub
	}
	if f := c.workstation; f != nil {
		buf.ws = f.at(lonR, latR, cosLat)
		a.Workstation = &buf.ws
	}
	workers := c.workers
	if g != nil {
		buf.grid = g.ref
		a.Grid = &buf.grid
		workers = g.workers
	}
	// Shared, not copied: copying a slice of strings per call cost more
	// than the whole lookup. The capacity is clipped so that an append by
	// the caller reallocates instead of writing into the directory.
	a.Workers = workers[:len(workers):len(workers)]
	a.Patrols = d.nearestPatrols(lon, lat, k)
	return a, nil
}

func (d *Directory) nearestPatrols(lon, lat float64, k int) []PatrolRef {
	if k == 0 {
		return []PatrolRef{}
	}
	keep := available
	if f := d.duty.Load(); f != nil {
		at := f.now() // once a query
		keep = func(id string, st geo.UnitStatus) bool { return st == geo.UnitAvailable && f.onDuty(id, at) }
	}
	ns := d.units.Nearest(lon, lat, k, keep)
	out := make([]PatrolRef, 0, len(ns))
	for _, n := range ns {
		r := PatrolRef{ID: n.ID, DistanceM: n.DistanceM}
		if p := d.patrols[n.ID]; p != nil {
			r.Callsign, r.Street = p.Callsign, p.Street
		}
		out = append(out, r)
	}
	return out
}

func (d *Directory) outside(lon, lat float64) error {
	i, dist := d.near.Nearest(lon, lat)
	code := d.nearOf.Area(i).Code
	if g := d.grids[code]; g != nil {
		return newOutsideError(lon, lat, g.ref.Code, g.community.ref.Code, dist)
	}
	return newOutsideError(lon, lat, "", bundle.CommunityCode(code), dist)
}

// checkPoint rejects non-finite and out-of-range WGS84 coordinates
// (errs.Invalid naming lon or lat).
func checkPoint(lon, lat float64) error { return geo.CheckLonLat(lon, lat) }

// SetUnit records a unit's (patrol's or worker's) position and status.
// An unknown unit id is errs.NotFound; a bad position or status is
// errs.Invalid.
func (d *Directory) SetUnit(id string, lon, lat float64, status geo.UnitStatus) error {
	if _, ok := d.info[id]; !ok {
		return errs.E(errs.NotFound, "id", "no unit %q", id)
	}
	if err := checkPoint(lon, lat); err != nil {
		return err
	}
	switch status {
	case geo.UnitAvailable, geo.UnitBusy, geo.UnitOffline:
	default:
		return errs.E(errs.Invalid, "status", "unknown unit status %d", status)
	}
	return d.indexOf(id).Upsert(id, lon, lat, status)
}

// Patrol returns a patrol's reference data (callsign, street, home
// position); an unknown id is errs.NotFound.
func (d *Directory) Patrol(id string) (bundle.Patrol, error) {
	p, ok := d.patrols[id]
	if !ok {
		return bundle.Patrol{}, errs.E(errs.NotFound, "id", "no patrol %q", id)
	}
	return *p, nil
}
