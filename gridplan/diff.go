package gridplan

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
)

// GridRef is a grid named in a diff.
type GridRef struct {
	Code       bundle.GridCode      `json:"code"`
	Community  bundle.CommunityCode `json:"community"`
	Households int                  `json:"households"`
}

// GridChange is a grid present in both plans whose geometry or
// households differ.
type GridChange struct {
	Code            bundle.GridCode      `json:"code"`
	Community       bundle.CommunityCode `json:"community"`
	HouseholdsFrom  int                  `json:"households_from"`
	HouseholdsTo    int                  `json:"households_to"`
	GeometryChanged bool                 `json:"geometry_changed"`
}

// Move is one thing that changes grid between the plans: a building (its
// households), a worker or an open case. From or To is empty where the
// plan has no grid for it.
type Move struct {
	ID         string          `json:"id"`
	From       bundle.GridCode `json:"from"`
	To         bundle.GridCode `json:"to"`
	Households int             `json:"households,omitempty"`
}

// Impact is what a switch from plan A to plan B moves.
type Impact struct {
	HouseholdsMoved int    `json:"households_moved"`
	Buildings       []Move `json:"buildings"`
	WorkersMoved    int    `json:"workers_moved"`
	Workers         []Move `json:"workers"`
	// OpenCasesMoved is nil when the open cases were not given.
	OpenCasesMoved *int   `json:"open_cases_moved,omitempty"`
	OpenCases      []Move `json:"open_cases,omitempty"`
}

// PlanDiff is Diff's answer.
type PlanDiff struct {
	From    PlanID       `json:"from"`
	To      PlanID       `json:"to"`
	Added   []GridRef    `json:"added"`
	Removed []GridRef    `json:"removed"`
	Changed []GridChange `json:"changed"`
	Impact  Impact       `json:"impact"`
}

// Point is a located thing (an open case) for the impact.
type Point struct {
	ID  string
	Loc orb.Point
}

// Diff compares plan a with plan b over the district's bundle: the grids
// added, removed and changed (geometry or households), and the impact of
// switching from a to b: the buildings whose grid changes (located with
// geo.PolygonIndex, /locate's rule) and their households, the workers
// whose grid changes (dealt as dispatch.Directory deals them: each
// community's workers by id, round-robin over its grids by code), and,
// when openCases is not nil, the open cases whose grid changes. Diff is
// pure; it fails only when a plan's grids cannot be indexed.
func Diff(a, b *Plan, bu *bundle.Bundle, openCases []Point) (*PlanDiff, error) {
	d := &PlanDiff{From: a.ID, To: b.ID, Added: []GridRef{}, Removed: []GridRef{}, Changed: []GridChange{}}
	d.compareGrids(a, b)
	ia, err := newGridIndex(a)
	if err != nil {
		return nil, err
	}
	ib, err := newGridIndex(b)
	if err != nil {
		return nil, err
	}
	d.Impact.Buildings = []Move{}
	for _, bl := range bu.Buildings {
		from, to := ia.locate(bl.Loc), ib.locate(bl.Loc)
		if from != to {
			d.Impact.Buildings = append(d.Impact.Buildings, Move{ID: string(bl.ID), From: from, To: to, Households: bl.Households})
			d.Impact.HouseholdsMoved += bl.Households
		}
	}
	d.Impact.Workers = moves(dealWorkers(a, bu.Workers), dealWorkers(b, bu.Workers))
	d.Impact.WorkersMoved = len(d.Impact.Workers)
	if openCases != nil {
		d.Impact.OpenCases = []Move{}
		for _, c := range openCases {
			if from, to := ia.locate(c.Loc), ib.locate(c.Loc); from != to {
				d.Impact.OpenCases = append(d.Impact.OpenCases, Move{ID: c.ID, From: from, To: to})
			}
		}
		n := len(d.Impact.OpenCases)
		d.Impact.OpenCasesMoved = &n
	}
	return d, nil
}

// compareGrids fills Added, Removed and Changed, each by code.
func (d *PlanDiff) compareGrids(a, b *Plan) {
	inA := make(map[bundle.GridCode]*Grid, len(a.Grids))
	for i := range a.Grids {
		inA[a.Grids[i].Code] = &a.Grids[i]
	}
	inB := make(map[bundle.GridCode]bool, len(b.Grids))
	for i := range b.Grids {
		g := &b.Grids[i]
		inB[g.Code] = true
		old, ok := inA[g.Code]
		switch {
		case !ok:
			d.Added = append(d.Added, GridRef{Code: g.Code, Community: g.Community, Households: g.Households})
		case old.Households != g.Households || !orb.Equal(old.Geom, g.Geom):
			d.Changed = append(d.Changed, GridChange{Code: g.Code, Community: g.Community,
				HouseholdsFrom: old.Households, HouseholdsTo: g.Households, GeometryChanged: !orb.Equal(old.Geom, g.Geom)})
		}
	}
	for _, g := range a.Grids {
		if !inB[g.Code] {
			d.Removed = append(d.Removed, GridRef{Code: g.Code, Community: g.Community, Households: g.Households})
		}
	}
	slices.SortFunc(d.Added, func(x, y GridRef) int { return cmp.Compare(x.Code, y.Code) })
	slices.SortFunc(d.Removed, func(x, y GridRef) int { return cmp.Compare(x.Code, y.Code) })
	slices.SortFunc(d.Changed, func(x, y GridChange) int { return cmp.Compare(x.Code, y.Code) })
}

// gridIndex locates points in a plan's grids with /locate's rule.
type gridIndex struct {
	ix    *geo.PolygonIndex
	codes []bundle.GridCode
}

func newGridIndex(p *Plan) (*gridIndex, error) {
	areas := make([]geo.Area, len(p.Grids))
	codes := make([]bundle.GridCode, len(p.Grids))
	for i, g := range p.Grids {
		areas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
		codes[i] = g.Code
	}
	if len(areas) == 0 {
		return &gridIndex{}, nil
	}
	ix, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return nil, err
	}
	return &gridIndex{ix: ix, codes: codes}, nil
}

// locate is the grid holding pt, "" for none.
func (g *gridIndex) locate(pt orb.Point) bundle.GridCode {
	if g.ix == nil {
		return ""
	}
	if k, in := g.ix.Locate(pt[0], pt[1]); in {
		return g.codes[k]
	}
	return ""
}

// dealWorkers is each worker's grid under p: each community's workers,
// sorted by id, dealt round-robin over its grids sorted by code.
func dealWorkers(p *Plan, workers []bundle.Worker) map[string]bundle.GridCode {
	grids := map[bundle.CommunityCode][]bundle.GridCode{}
	for _, g := range p.Grids {
		grids[g.Community] = append(grids[g.Community], g.Code)
	}
	for _, gs := range grids {
		slices.Sort(gs)
	}
	byComm := map[bundle.CommunityCode][]string{}
	for _, w := range workers {
		byComm[w.Community] = append(byComm[w.Community], w.ID)
	}
	out := make(map[string]bundle.GridCode, len(workers))
	for c, ids := range byComm {
		slices.Sort(ids)
		gs := grids[c]
		for i, id := range ids {
			if len(gs) > 0 {
				out[id] = gs[i%len(gs)]
			} else {
				out[id] = ""
			}
		}
	}
	return out
}

// moves lists the ids whose grid differs between from and to, by id.
func moves(from, to map[string]bundle.GridCode) []Move {
	out := []Move{}
	for id, f := range from {
		if t := to[id]; t != f {
			out = append(out, Move{ID: id, From: f, To: t})
		}
	}
	slices.SortFunc(out, func(x, y Move) int { return cmp.Compare(x.ID, y.ID) })
	return out
}
