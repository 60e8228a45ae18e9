package gridplan

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/internal/sfgeom"
)

// EditCommunities are the communities whose units ApplyEdit reads for e
// on p (store.EditPlan loads their grids' units into Plan.Units). Input
// errors are left to ApplyEdit: unknown grids are skipped.
func EditCommunities(p *Plan, e Edit) []bundle.CommunityCode {
	var out []bundle.CommunityCode
	seen := map[bundle.CommunityCode]bool{}
	add := func(c bundle.CommunityCode) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	byCode := func(c bundle.GridCode) {
		for i := range p.Grids {
			if p.Grids[i].Code == c {
				add(p.Grids[i].Community)
				return
			}
		}
	}
	switch e.Op {
	case OpMerge:
		for _, c := range e.Grids {
			byCode(c)
		}
	case OpSplit, OpRedraw:
		byCode(e.Grid)
	case OpMove:
		byCode(e.To)
	case OpRebalance:
		for _, c := range e.Communities {
			add(c)
		}
	}
	return out
}

// GridsOf are the codes of p's grids in communities cs.
func GridsOf(p *Plan, cs []bundle.CommunityCode) []bundle.GridCode {
	in := map[bundle.CommunityCode]bool{}
	for _, c := range cs {
		in[c] = true
	}
	var out []bundle.GridCode
	for _, g := range p.Grids {
		if in[g.Community] {
			out = append(out, g.Code)
		}
	}
	return out
}

// unitsOf returns the units of community c: the plan's stored ones, or
// when it stores none for c, units derived from the community's grids
// (DeriveUnits). derived says which.
func (ed *editor) unitsOf(c bundle.CommunityCode) ([]Unit, bool, error) {
	if us, ok := ed.cunits[c]; ok {
		return us, ed.derived[c], nil
	}
	us, derived, err := CommunityUnits(ed.p, ed.b, c)
	if err != nil {
		return nil, false, err
	}
	ed.cunits[c], ed.derived[c] = us, derived
	return us, derived, nil
}

// sliverM2 is the area under which a piece the overlay leaves of a grid
// (a seam between a moved cell and the grid's old edge) goes with the
// moved units rather than staying a part of its own.
const sliverM2 = 1.0

// move gives units (H3 cells) of grids adjacent to the receiving grid, in
// its community, to it: the moved cells' union (cells.Union, the
// partitioner's polygon rule) cut to their grid (cells.Clip) leaves that
// grid and joins the receiving one, and the units change grid. Buildings
// may be named instead: their units move.
func (ed *editor) move(e Edit) error {
	to, err := ed.grid("/to", e.To)
	if err != nil {
		return err
	}
	field, n, err := moveField(e)
	if err != nil {
		return err
	}
	us, _, err := ed.unitsOf(to.Community)
	if err != nil {
		return err
	}
	if len(us) == 0 {
		return errs.E(errs.Invalid, "/to", "community %s has no planning units (no grid with cells); redraw instead", to.Community)
	}
	res := us[0].ID.Cell().Resolution()
	ids, err := ed.moveIDs(e, field, n, res)
	if err != nil {
		return err
	}
	if err := ed.unlocked("/to", to); err != nil {
		return err
	}
	srcs, moved, err := ed.moveSources(field, ids, us, to)
	if err != nil {
		return err
	}
	if err := ed.moveShapes(field, srcs, to, res); err != nil {
		return err
	}
	next := append([]Unit(nil), us...)
	for i := range moved {
		next[i].Grid = to.Code
	}
	ed.cunits[to.Community] = next
	ed.unitsSet[to.Community] = true
	return nil
}

// moveField is the field a move names its units by ("/units" or
// "/buildings") and how many it names; one of the two, not empty.
func moveField(e Edit) (string, int, error) {
	if len(e.Units) > 0 && len(e.Buildings) > 0 {
		return "", 0, errs.E(errs.Invalid, "/buildings", "name units or buildings, not both")
	}
	field, n := "/units", len(e.Units)
	if len(e.Buildings) > 0 {
		field, n = "/buildings", len(e.Buildings)
	}
	if n == 0 {
		return "", 0, errs.E(errs.Invalid, "/units", "name at least one unit to move")
	}
	return field, n, nil
}

// moveIDs are the units a move names: parsed unit ids, or the cells at
// resolution res of the buildings named.
func (ed *editor) moveIDs(e Edit, field string, n int, res int) ([]UnitID, error) {
	ids := make([]UnitID, n)
	if field == "/units" {
		for k, raw := range e.Units {
			var err error
			if ids[k], err = ParseUnitID(raw); err != nil {
				return nil, errs.E(errs.Invalid, fmt.Sprintf("/units/%d", k), "%q is not a unit id (an H3 cell index of 15 hex digits, GET /plans/{id}/units)", clip.Text(raw, 40))
			}
		}
		return ids, nil
	}
	byID := make(map[bundle.BuildingID]int, len(ed.b.Buildings))
	for i, bl := range ed.b.Buildings {
		byID[bl.ID] = i
	}
	for k, id := range e.Buildings {
		i, ok := byID[id]
		if !ok {
			return nil, errs.E(errs.Invalid, fmt.Sprintf("/buildings/%d", k), "building %q is not in the bundle", clip.Text(string(id), 64))
		}
		ids[k] = UnitID(cells.Of(ed.b.Buildings[i].Loc, res))
	}
	return ids, nil
}

// moveSource is one grid giving units in a move: its cells and their
// households.
type moveSource struct {
	g   *Grid
	ids []h3.Cell
	hh  int
}

// moveSources groups the units named by the grid that holds them, each
// of which must be an unlocked grid of to's community adjacent to to; a
// unit not in the community, named twice or in to already is refused
// naming its field. moved holds the indices in us of the units moving.
func (ed *editor) moveSources(field string, ids []UnitID, us []Unit, to *Grid) ([]*moveSource, map[int]bool, error) {
	where := make(map[UnitID]int, len(us))
	for i, u := range us {
		if _, dup := where[u.ID]; !dup {
			where[u.ID] = i
		}
	}
	var srcs []*moveSource
	bySrc := map[bundle.GridCode]*moveSource{}
	named := map[UnitID]bool{}
	moved := map[int]bool{}
	for k, id := range ids {
		f := fmt.Sprintf("%s/%d", field, k)
		i, ok := where[id]
		if !ok {
			return nil, nil, errs.E(errs.Invalid, f, "unit %s is not a unit of community %s (the community of grid %s)", id, to.Community, to.Code)
		}
		if named[id] {
			if field == "/units" {
				return nil, nil, errs.E(errs.Invalid, f, "unit %s is named twice", id)
			}
			continue // two buildings of one unit
		}
		named[id] = true
		u := us[i]
		if u.Grid == to.Code {
			return nil, nil, errs.E(errs.Invalid, f, "unit %s is in grid %s already", id, to.Code)
		}
		s := bySrc[u.Grid]
		if s == nil {
			g, err := ed.grid(f, u.Grid)
			if err != nil {
				return nil, nil, err
			}
			if err := ed.unlocked(f, g); err != nil {
				return nil, nil, err
			}
			if !touching(g.Geom, to.Geom) {
				return nil, nil, errs.E(errs.Invalid, f, "unit %s is in grid %s, which is not adjacent to grid %s", id, g.Code, to.Code)
			}
			s = &moveSource{g: g}
			bySrc[u.Grid] = s
			srcs = append(srcs, s)
		}
		s.ids = append(s.ids, id.Cell())
		s.hh += u.Households
		moved[i] = true
	}
	return srcs, moved, nil
}

// moveShapes cuts each source's cells (with the seams and corner
// triangles that hang on them) from it and joins them to to, with their
// households; a source that would be left empty is refused.
func (ed *editor) moveShapes(field string, srcs []*moveSource, to *Grid, res int) error {
	gain := to.Geom
	hh := to.Households
	for _, s := range srcs {
		u, err := cells.Union(s.ids)
		if err != nil {
			return overlayErr(field, err)
		}
		take, err := cells.Clip(u, s.g.Geom)
		if err != nil {
			return overlayErr(field, err)
		}
		if len(take) == 0 {
			return errs.E(errs.Invalid, field, "the units named hold no part of grid %s", s.g.Code)
		}
		rest, err := sfgeom.Difference(s.g.Geom, take)
		if err != nil {
			return overlayErr(field, err)
		}
		// Seams the overlay leaves between the moved cells and the
		// grid's old edges go with the moved cells.
		rest, seams := splitSlivers(rest)
		// Corner triangles the partitioner cut from a neighbouring cell
		// (partition's corner cutting) hang on the source's cells at one
		// vertex; once those cells move they go with them.
		rest, corners := ed.splitCorners(rest, res)
		seams = append(seams, corners...)
		if len(seams) > 0 {
			if take, err = sfgeom.Union(take, seams); err != nil {
				return overlayErr(field, err)
			}
		}
		if len(rest) == 0 || geo.AreaM2(rest) < MinGridAreaM2 {
			return errs.E(errs.Invalid, field, "the move would leave grid %s empty; merge it into %s instead", s.g.Code, to.Code)
		}
		if gain, err = sfgeom.Union(gain, take); err != nil {
			return overlayErr(field, err)
		}
		ng := *s.g
		ng.Geom, ng.Households = rest, s.g.Households-s.hh
		ed.set(ng)
		hh += s.hh
	}
	nt := *to
	nt.Geom, nt.Households = gain, hh
	ed.set(nt)
	return nil
}

// touching reports whether two grids share an edge: their union has fewer
// parts than they have together.
func touching(a, b orb.MultiPolygon) bool {
	if !a.Bound().Pad(1e-9).Intersects(b.Bound()) {
		return false
	}
	u, err := sfgeom.Union(a, b)
	return err == nil && adjacent(a, b, u)
}

// splitSlivers keeps the parts of mp that are its largest or at least
// sliverM2 and returns the others apart.
func splitSlivers(mp orb.MultiPolygon) (keep, slivers orb.MultiPolygon) {
	return splitSmall(mp, func(p orb.Polygon, areaM2 float64) bool { return areaM2 < sliverM2 })
}

// splitCorners returns apart the parts of mp, its largest aside, no
// bigger than a tenth of a cell at res and holding no building: the corner
// triangles (about 4 % of a cell) the partitioner cut from a cell of a
// neighbouring grid, left detached when the cells holding them move.
func (ed *editor) splitCorners(mp orb.MultiPolygon, res int) (keep, corners orb.MultiPolygon) {
	limit := 0.1 * h3.HexagonAreaAvgM2(res)
	return splitSmall(mp, func(p orb.Polygon, areaM2 float64) bool { return areaM2 <= limit && !ed.holdsBuilding(p) })
}

// splitSmall keeps mp's largest part and every other part small does not
// select, and returns the selected parts apart (a single part is kept).
func splitSmall(mp orb.MultiPolygon, small func(p orb.Polygon, areaM2 float64) bool) (keep, apart orb.MultiPolygon) {
	if len(mp) < 2 {
		return mp, nil
	}
	big, bigA := 0, -1.0
	areas := make([]float64, len(mp))
	for i, p := range mp {
		areas[i] = geo.AreaM2(p)
		if areas[i] > bigA {
			big, bigA = i, areas[i]
		}
	}
	for i, p := range mp {
		if i != big && small(p, areas[i]) {
			apart = append(apart, p)
		} else {
			keep = append(keep, p)
		}
	}
	return keep, apart
}

// holdsBuilding reports whether a building of the bundle lies in p or on
// its boundary.
func (ed *editor) holdsBuilding(p orb.Polygon) bool {
	bd := p.Bound().Pad(1e-9)
	for _, bl := range ed.b.Buildings {
		if bd.Contains(bl.Loc) && (planar.PolygonContains(p, bl.Loc) || onBoundary(p, bl.Loc)) {
			return true
		}
	}
	return false
}

// onBoundary reports whether q lies within about a centimetre of p's rings.
func onBoundary(p orb.Polygon, q orb.Point) bool {
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			dx, dy := b[0]-a[0], b[1]-a[1]
			f := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				f = max(0, min(1, ((q[0]-a[0])*dx+(q[1]-a[1])*dy)/l2))
			}
			if math.Hypot(a[0]+f*dx-q[0], a[1]+f*dy-q[1]) < 1e-7 {
				return true
			}
		}
	}
	return false
}

// finishUnits is the units an edit writes: for every touched community
// whose units are known (stored, or derived for a move), its units after
// the edit — moved ones as the move set them, the others in the grid of
// the edit's result holding their centre (a unit whose centre no grid of
// the community holds keeps its grid if that grid remains) — replacing
// the units of every grid the community had or has.
func (ed *editor) finishUnits(grids []Grid) *UnitsEdit {
	var comms []bundle.CommunityCode
	for c := range ed.comms {
		if ed.unitsSet[c] {
			comms = append(comms, c)
			continue
		}
		if _, ok := ed.cunits[c]; ok && !ed.derived[c] {
			comms = append(comms, c)
			continue
		}
		for _, u := range ed.p.Units {
			if u.Grid.Community() == c {
				comms = append(comms, c)
				break
			}
		}
	}
	if len(comms) == 0 {
		return nil
	}
	sort.Slice(comms, func(i, j int) bool { return comms[i] < comms[j] })
	out := &UnitsEdit{Grids: []bundle.GridCode{}, Units: []Unit{}}
	for _, c := range comms {
		seen := map[bundle.GridCode]bool{}
		for _, g := range ed.p.Grids {
			if g.Community == c && !seen[g.Code] {
				seen[g.Code] = true
				out.Grids = append(out.Grids, g.Code)
			}
		}
		var now []Grid
		alive := map[bundle.GridCode]bool{}
		for _, g := range grids {
			if g.Community == c {
				now = append(now, g)
				alive[g.Code] = true
				if !seen[g.Code] {
					seen[g.Code] = true
					out.Grids = append(out.Grids, g.Code)
				}
			}
		}
		us, _, err := ed.unitsOf(c)
		if err != nil {
			continue
		}
		if ed.unitsSet[c] {
			out.Units = append(out.Units, us...)
			continue
		}
		out.Units = append(out.Units, relocate(us, now, alive)...)
	}
	SortUnits(out.Units)
	sort.Slice(out.Grids, func(i, j int) bool { return out.Grids[i] < out.Grids[j] })
	return out
}

// relocate puts each unit in the grid of grids holding its centre; a
// unit whose centre none holds keeps its grid when alive has it and is
// dropped otherwise.
func relocate(us []Unit, grids []Grid, alive map[bundle.GridCode]bool) []Unit {
	areas := make([]geo.Area, len(grids))
	for i, g := range grids {
		areas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
	}
	ix, err := geo.NewPolygonIndex(areas)
	out := make([]Unit, 0, len(us))
	for _, u := range us {
		if err == nil {
			ct := cells.Centre(u.ID.Cell())
			if k, ok := ix.Locate(ct[0], ct[1]); ok {
				u.Grid = grids[k].Code
				out = append(out, u)
				continue
			}
		}
		if alive[u.Grid] {
			out = append(out, u)
		}
	}
	return out
}
