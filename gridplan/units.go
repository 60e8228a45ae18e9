package gridplan

import (
	"context"
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/internal/clip"
)

// UnitID is a planning unit: an H3 cell at its community's resolution
// (refinement raises a community's resolution, so a refined estate's
// units are finer cells, one building location each). Its boundary is
// derived from the id (cells.Union); its text form is H3's 15 hex digits.
type UnitID h3.Cell

// ParseUnitID parses a unit id: an H3 cell index of 15 hex digits at
// resolution 7 to 15.
func ParseUnitID(s string) (UnitID, error) {
	if len(s) != 15 {
		return 0, errs.E(errs.Invalid, "unit", "%q is not a unit id (an H3 cell index of 15 hex digits)", clip.Text(s, 40))
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return 0, errs.E(errs.Invalid, "unit", "%q is not a unit id (an H3 cell index of 15 hex digits)", clip.Text(s, 40))
		}
	}
	c := h3.Cell(h3.IndexFromString(s))
	if !c.IsValid() || c.Resolution() < 7 {
		return 0, errs.E(errs.Invalid, "unit", "%q is not an H3 cell of resolution 7 to 15", s)
	}
	return UnitID(c), nil
}

func (u UnitID) String() string { return h3.Cell(u).String() }

// Cell is the unit's H3 cell.
func (u UnitID) Cell() h3.Cell { return h3.Cell(u) }

func (u UnitID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

func (u *UnitID) UnmarshalText(b []byte) (err error) {
	*u, err = ParseUnitID(string(b))
	return err
}

// Unit is one planning unit of a plan: its cell, the grid it belongs to
// and the households of the buildings in it. A grid's polygon is the
// union of its units' cells clipped to its community (cells.Union and
// cells.Clip, the partitioner's rule); a move acts on units.
type Unit struct {
	ID         UnitID
	Grid       bundle.GridCode
	Households int
}

// Validate checks a unit's own fields.
func (u Unit) Validate() error {
	if !u.ID.Cell().IsValid() {
		return errs.E(errs.Invalid, "unit", "%x is not an H3 cell", uint64(u.ID))
	}
	if _, err := bundle.ParseGridCode(string(u.Grid)); err != nil {
		return errs.E(errs.Invalid, "grid", "unit %s: %v", u.ID, err)
	}
	if u.Households < 0 {
		return errs.E(errs.Invalid, "households", "unit %s: households %d < 0", u.ID, u.Households)
	}
	return nil
}

// UnitStore is what a plan's units need from storage (table plan_units).
// A plan's units are written with its grids by CreatePlan (Plan.Units),
// copied into drafts by CreateDraft and replaced grid by grid by
// EditGridsUnits, each in the transaction that writes the grids.
type UnitStore interface {
	// PlanUnits returns plan id's units of grids (every unit when grids
	// is empty), by grid then id. NotFound for a missing plan; a plan or
	// grid without units answers none.
	PlanUnits(ctx context.Context, id PlanID, grids ...bundle.GridCode) ([]Unit, error)
	// CreateDraft copies plan from (grids, locks, units, params, report)
	// into a new draft named name whose parent is from, in one
	// transaction, and returns its id. NotFound for a missing plan.
	CreateDraft(ctx context.Context, from PlanID, name string) (PlanID, error)
	// EditGridsUnits is EditGrids that also replaces, in the same
	// transaction, the units of every grid of u.Grids by u.Units (whose
	// grids must be among u.Grids: Invalid otherwise).
	EditGridsUnits(ctx context.Context, id PlanID, put []Grid, removed []bundle.GridCode, base []Grid, u UnitsEdit) error
}

// UnitsEdit is the units an edit writes: the units of Grids, all of
// them, are replaced by Units.
type UnitsEdit struct {
	Grids []bundle.GridCode
	Units []Unit
}

// CheckUnits reports a unit that fails Validate or is named twice in
// one grid, and (with grids given) a unit whose grid is not among them,
// as Invalid naming units[i]. Each grid code is checked once and
// duplicates are found by sorting, so a district's units (≈ 300 k) check
// in tens of milliseconds.
func CheckUnits(units []Unit, grids []bundle.GridCode) error {
	var in map[bundle.GridCode]bool
	if grids != nil {
		in = make(map[bundle.GridCode]bool, len(grids))
		for _, g := range grids {
			in[g] = true
		}
	}
	okGrid := map[bundle.GridCode]error{}
	for i, u := range units {
		err, seen := okGrid[u.Grid]
		if !seen {
			if _, perr := bundle.ParseGridCode(string(u.Grid)); perr != nil {
				err = errs.E(errs.Invalid, fmt.Sprintf("units[%d]", i), "unit %s: %v", u.ID, perr)
			} else if in != nil && !in[u.Grid] {
				err = errs.E(errs.Invalid, fmt.Sprintf("units[%d]", i), "unit %s names grid %s, which is not written with it", u.ID, u.Grid)
			}
			okGrid[u.Grid] = err
		}
		if err != nil {
			return err
		}
		if u.Households < 0 || !u.ID.Cell().IsValid() {
			return errs.E(errs.Invalid, fmt.Sprintf("units[%d]", i), "%v", u.Validate())
		}
	}
	idx := make([]int32, len(units))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.Slice(idx, func(a, b int) bool {
		ua, ub := &units[idx[a]], &units[idx[b]]
		if ua.Grid != ub.Grid {
			return ua.Grid < ub.Grid
		}
		return ua.ID < ub.ID
	})
	for k := 1; k < len(idx); k++ {
		a, b := &units[idx[k-1]], &units[idx[k]]
		if a.ID == b.ID && a.Grid == b.Grid {
			i := max(idx[k-1], idx[k])
			return errs.E(errs.Invalid, fmt.Sprintf("units[%d]", i), "unit %s of grid %s is named twice", a.ID, a.Grid)
		}
	}
	return nil
}

// CommunityUnits are the units of community c of plan p: p.Units of its
// grids, and for its grids without units (all of them in a plan imported
// from a file; a grid the partitioner kept locked) units derived from the
// community's grids (DeriveUnits with b's buildings). derived says
// whether some were derived.
func CommunityUnits(p *Plan, b *bundle.Bundle, c bundle.CommunityCode) (units []Unit, derived bool, err error) {
	has := map[bundle.GridCode]bool{}
	for _, u := range p.Units {
		if u.Grid.Community() == c {
			units = append(units, u)
			has[u.Grid] = true
		}
	}
	var grids []Grid
	missing := false
	for _, g := range p.Grids {
		if g.Community == c {
			grids = append(grids, g)
			missing = missing || !has[g.Code]
		}
	}
	if !missing {
		return units, false, nil
	}
	cm, ok := b.Community(c)
	if !ok {
		return nil, false, errs.E(errs.Invalid, "community", "community %s is not in the bundle", c)
	}
	more, err := DeriveUnits(cm, grids, b.Buildings, p.Params)
	if err != nil {
		return nil, false, err
	}
	for _, u := range more {
		if !has[u.Grid] {
			units = append(units, u)
		}
	}
	SortUnits(units)
	return units, true, nil
}

// DeriveUnits makes units for grids of one community c that has none
// stored (a plan imported from a file, a community planned as one grid):
// the community's cells at the resolution the partitioner would plan it
// at (cells.BaseRes for len(grids), refined as cells.RefineRes), each in
// the grid holding its centre (a cell holding a building whose centre is
// in no grid: the grid holding the building), with the households of the
// buildings in it that grids hold (by geo.PolygonIndex, /locate's rule).
// Cells whose centre and buildings are in none of grids are left out.
func DeriveUnits(c *bundle.Community, grids []Grid, blds []bundle.Building, p Params) ([]Unit, error) {
	if len(grids) == 0 {
		return nil, nil
	}
	areas := make([]geo.Area, len(grids))
	for i, g := range grids {
		areas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
	}
	ix, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "index grids of community "+string(c.Code))
	}
	bd := orb.Bound{Min: orb.Point{1e9, 1e9}, Max: orb.Point{-1e9, -1e9}}
	for _, g := range grids {
		bd = bd.Union(g.Geom.Bound())
	}
	var pts []orb.Point
	var hh []int
	var bgrid []int
	for _, b := range blds {
		if !bd.Contains(b.Loc) {
			continue
		}
		if k, ok := ix.Locate(b.Loc[0], b.Loc[1]); ok {
			pts, hh, bgrid = append(pts, b.Loc), append(hh, b.Households), append(bgrid, k)
		}
	}
	area := geo.AreaM2(c.Geom)
	p = paramsOrDefault(p)
	target := p.Target(c.Kind)
	res := cells.RefineRes(pts, hh, cells.BaseRes(c.Kind, area, len(grids)), area, p.RefineShare()*float64(target))
	var region orb.MultiPolygon
	for _, g := range grids {
		region = append(region, g.Geom...)
	}
	ids := cells.Cover(region, res, nil)
	out := make([]Unit, 0, len(ids)+len(pts))
	idx := map[h3.Cell]int{}
	for _, id := range ids {
		ct := cells.Centre(id)
		if k, ok := ix.Locate(ct[0], ct[1]); ok {
			idx[id] = len(out)
			out = append(out, Unit{ID: UnitID(id), Grid: grids[k].Code})
		}
	}
	for i, pt := range pts {
		id := cells.Of(pt, res)
		j, ok := idx[id]
		if !ok {
			j = len(out)
			idx[id] = j
			out = append(out, Unit{ID: UnitID(id), Grid: grids[bgrid[i]].Code})
		}
		out[j].Households += hh[i]
	}
	SortUnits(out)
	return out, nil
}

func paramsOrDefault(p Params) Params {
	if p.Validate() != nil {
		return DefaultParams()
	}
	return p
}

// SortUnits orders units by grid, then id: the order stores read them in
// (and write them in, so that their key index grows at its end).
func SortUnits(us []Unit) {
	sort.Slice(us, func(i, j int) bool {
		if us[i].Grid != us[j].Grid {
			return us[i].Grid < us[j].Grid
		}
		return us[i].ID < us[j].ID
	})
}
