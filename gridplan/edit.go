package gridplan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/internal/sfgeom"
)

// The edit operations of Edit.Op.
const (
	OpMerge     = "merge"
	OpSplit     = "split"
	OpRedraw    = "redraw"
	OpMove      = "move"
	OpRebalance = "rebalance"
	OpLock      = "lock"
	OpUnlock    = "unlock"
)

// MaxSplit bounds Edit.N of a split.
const MaxSplit = 20

// Edit is one planner edit of a draft, as POST /plans/{id}/edits takes it.
// Which fields are read depends on Op:
//
//	merge     {"grids": [a, b]}
//	lock      {"grids": [...]}      unlock {"grids": [...]}
//	split     {"grid": g, "n": n}
//	redraw    {"grid": g, "polygon": GeoJSON Polygon or MultiPolygon}
//	move      {"units": [H3 cell ids], "to": g}  (or "buildings": [ids]: their units)
//	rebalance {"communities": [...]}
type Edit struct {
	Op          string                 `json:"op"`
	Grids       []bundle.GridCode      `json:"grids,omitempty"`
	Grid        bundle.GridCode        `json:"grid,omitempty"`
	N           int                    `json:"n,omitempty"`
	Polygon     json.RawMessage        `json:"polygon,omitempty"`
	Units       []string               `json:"units,omitempty"` // unit ids (ParseUnitID), parsed by move so that a bad one is named /units/i
	Buildings   []bundle.BuildingID    `json:"buildings,omitempty"`
	To          bundle.GridCode        `json:"to,omitempty"`
	Communities []bundle.CommunityCode `json:"communities,omitempty"`
}

// Partitioner plans the communities of b (gridplan/partition.Plan's
// grids), keeping p.Locked and starting from p.Previous. Split and
// rebalance call it; the other operations do not.
type Partitioner func(ctx context.Context, b *bundle.Bundle, p Params) ([]Grid, error)

// EditResult is an applied edit: the plan's new grids (all of them, in
// code order), the grids the edit changed or added, the codes it removed
// and the validation of the communities it touched.
type EditResult struct {
	Grids    []Grid
	Changed  []Grid
	Removed  []bundle.GridCode
	Findings Findings
	// Base is the plan's grids the edit started from, for every code of
	// Changed and Removed the plan had: Store.EditGrids checks them so
	// that an edit made meanwhile is not overwritten.
	Base []Grid
	// Units, when not nil, are the units to write with the grids
	// (UnitStore.EditGridsUnits): every unit of the touched communities
	// whose units the plan stores, or that a move derived.
	Units *UnitsEdit
}

// RefusedError is an edit whose result fails validation: nothing changes.
type RefusedError struct {
	Err      error
	Findings Findings
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// ProblemExtra lists the findings in the problem document.
func (e *RefusedError) ProblemExtra() map[string]any {
	errors, warnings := e.Findings.Errors(), e.Findings.Warnings()
	if errors == nil {
		errors = Findings{}
	}
	if warnings == nil {
		warnings = Findings{}
	}
	return map[string]any{"errors": errors, "warnings": warnings}
}

// ApplyEdit applies e to plan p (a draft) against bundle b and returns the
// result; p is not changed. Input errors are errs.Invalid naming the JSON
// pointer of the field ("/grids", "/n", ...); touching a locked grid is
// errs.Conflict naming it; a result with a blocking finding in a touched
// community is a *RefusedError. Households of every touched grid are
// recounted from the buildings with geo.PolygonIndex, the membership
// rule of /locate; grids the edit did not touch keep code and figures.
func ApplyEdit(ctx context.Context, p *Plan, b *bundle.Bundle, e Edit, part Partitioner) (*EditResult, error) {
	ed := &editor{p: p, b: b, byCode: map[bundle.GridCode]int{}, put: map[bundle.GridCode]Grid{},
		removed: map[bundle.GridCode]bool{}, comms: map[bundle.CommunityCode]bool{},
		cunits: map[bundle.CommunityCode][]Unit{}, derived: map[bundle.CommunityCode]bool{}, unitsSet: map[bundle.CommunityCode]bool{}}
	for i, g := range p.Grids {
		ed.byCode[g.Code] = i
	}
	var err error
	switch e.Op {
	case OpMerge:
		err = ed.merge(e)
	case OpLock, OpUnlock:
		return ed.lock(e)
	case OpSplit:
		err = ed.split(ctx, e, part)
	case OpRedraw:
		err = ed.redraw(e)
	case OpMove:
		err = ed.move(e)
	case OpRebalance:
		err = ed.rebalance(ctx, e, part)
	case "":
		return nil, errs.E(errs.Invalid, "/op", "missing; one of merge, split, redraw, move, rebalance, lock, unlock")
	default:
		return nil, errs.E(errs.Invalid, "/op", "%q is not an edit; one of merge, split, redraw, move, rebalance, lock, unlock", clip.Text(e.Op, 40))
	}
	if err != nil {
		return nil, err
	}
	return ed.finish()
}

type editor struct {
	p      *Plan
	b      *bundle.Bundle
	byCode map[bundle.GridCode]int
	// the edit's outcome: replaced or new grids by code, removed codes,
	// touched communities
	put     map[bundle.GridCode]Grid
	removed map[bundle.GridCode]bool
	comms   map[bundle.CommunityCode]bool
	// units by community as read (stored or derived), whether derived,
	// and whether the edit set them itself (a move)
	cunits   map[bundle.CommunityCode][]Unit
	derived  map[bundle.CommunityCode]bool
	unitsSet map[bundle.CommunityCode]bool
}

func (ed *editor) grid(field string, c bundle.GridCode) (*Grid, error) {
	i, ok := ed.byCode[c]
	if !ok {
		return nil, errs.E(errs.Invalid, field, "grid %q is not in plan %d", clip.Text(string(c), 40), ed.p.ID)
	}
	return &ed.p.Grids[i], nil
}

func (ed *editor) unlocked(field string, g *Grid) error {
	if g.Locked {
		return errs.E(errs.Conflict, field, "grid %s is locked; unlock it first", g.Code)
	}
	return nil
}

func (ed *editor) set(g Grid) {
	ed.put[g.Code] = g
	delete(ed.removed, g.Code)
	ed.comms[g.Community] = true
}

func (ed *editor) remove(g *Grid) {
	delete(ed.put, g.Code)
	ed.removed[g.Code] = true
	ed.comms[g.Community] = true
}

// merge joins two adjacent grids of one community; the one with more
// households keeps its code.
func (ed *editor) merge(e Edit) error {
	if len(e.Grids) != 2 {
		return errs.E(errs.Invalid, "/grids", "merge takes two grids, got %d", len(e.Grids))
	}
	a, err := ed.grid("/grids/0", e.Grids[0])
	if err != nil {
		return err
	}
	b, err := ed.grid("/grids/1", e.Grids[1])
	if err != nil {
		return err
	}
	if a.Code == b.Code {
		return errs.E(errs.Invalid, "/grids", "grid %s is named twice", a.Code)
	}
	if a.Community != b.Community {
		return errs.E(errs.Invalid, "/grids", "grids %s and %s are in different communities (%s, %s)", a.Code, b.Code, a.Community, b.Community)
	}
	for i, g := range []*Grid{a, b} {
		if err := ed.unlocked(fmt.Sprintf("/grids/%d", i), g); err != nil {
			return err
		}
	}
	u, err := sfgeom.Union(a.Geom, b.Geom)
	if err != nil {
		return overlayErr("/grids", err)
	}
	if !adjacent(a.Geom, b.Geom, u) {
		return errs.E(errs.Invalid, "/grids", "grids %s and %s are not adjacent (they share no edge)", a.Code, b.Code)
	}
	keep, drop := a, b
	if b.Households > a.Households {
		keep, drop = b, a
	}
	m := *keep
	m.Geom = u
	ed.set(m)
	ed.remove(drop)
	return nil
}

// adjacent reports whether a and b share an edge: their union has fewer
// parts than the two have together.
func adjacent(a, b, u orb.MultiPolygon) bool {
	return len(u) > 0 && len(u) < len(a)+len(b)
}

// lock sets or clears the locked flag of grids; nothing else changes.
func (ed *editor) lock(e Edit) (*EditResult, error) {
	if len(e.Grids) == 0 {
		return nil, errs.E(errs.Invalid, "/grids", "name at least one grid to %s", e.Op)
	}
	out := &EditResult{Grids: append([]Grid(nil), ed.p.Grids...)}
	seen := map[bundle.GridCode]bool{}
	for k, c := range e.Grids {
		if _, err := ed.grid(fmt.Sprintf("/grids/%d", k), c); err != nil {
			return nil, err
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		g := &out.Grids[ed.byCode[c]]
		g.Locked = e.Op == OpLock
		out.Changed = append(out.Changed, *g)
	}
	out.Removed = []bundle.GridCode{}
	out.Base = ed.base(out.Changed, nil)
	return out, nil
}

// base returns the plan's grids of the codes of changed and removed it has.
func (ed *editor) base(changed []Grid, removed []bundle.GridCode) []Grid {
	var out []Grid
	for _, g := range changed {
		if i, ok := ed.byCode[g.Code]; ok {
			out = append(out, ed.p.Grids[i])
		}
	}
	for _, c := range removed {
		if i, ok := ed.byCode[c]; ok {
			out = append(out, ed.p.Grids[i])
		}
	}
	return out
}

// split divides a grid into n balanced contiguous grids with the
// partitioner, on the grid's own region and buildings; the piece holding
// most of the grid's households keeps its code, the others take the
// community's next free sequence numbers.
func (ed *editor) split(ctx context.Context, e Edit, part Partitioner) error {
	g, err := ed.grid("/grid", e.Grid)
	if err != nil {
		return err
	}
	if e.N < 2 || e.N > MaxSplit {
		return errs.E(errs.Invalid, "/n", "split into 2 to %d grids, got %d", MaxSplit, e.N)
	}
	if err := ed.unlocked("/grid", g); err != nil {
		return err
	}
	blds := ed.buildingsIn(*g)
	if len(blds) < e.N {
		return errs.E(errs.Invalid, "/n", "grid %s has %d buildings; it cannot be split into %d grids with households", g.Code, len(blds), e.N)
	}
	hh := 0
	for _, bl := range blds {
		hh += bl.Households
	}
	params := ed.p.Params
	if params.Validate() != nil {
		params = DefaultParams()
	}
	params.Locked, params.Previous, params.Progress = nil, nil, nil
	params.ExactGridCount = true
	target := splitTarget(hh, e.N)
	params.UrbanTarget, params.RuralTarget = target, target
	sub := &bundle.Bundle{District: ed.b.District, Streets: ed.b.Streets, Buildings: blds,
		Communities: []bundle.Community{{Code: g.Community, Street: g.Street, Kind: g.Kind, Geom: g.Geom}}}
	if c, ok := ed.b.Community(g.Community); ok {
		sub.Communities[0].Name = c.Name
	}
	if part == nil {
		return errs.E(errs.Internal, "", "split needs a partitioner")
	}
	pieces, err := part(ctx, sub, params)
	if err != nil {
		return partitionErr("/grid", err)
	}
	if len(pieces) != e.N {
		return errs.E(errs.Invalid, "/n", "grid %s could not be split into %d grids (the partitioner made %d)", g.Code, e.N, len(pieces))
	}
	// The piece with the most households keeps the code.
	sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].Households > pieces[j].Households })
	free := ed.freeSeqs(g.Community, e.N-1)
	for i, pc := range pieces {
		ng := *g
		ng.Geom, ng.Households, ng.Locked = pc.Geom, pc.Households, false
		if i > 0 {
			if ng.Code, err = bundle.NewGridCode(g.Community, free[i-1]); err != nil {
				return errs.E(errs.Conflict, "/grid", "community %s has no free grid numbers left: %v", g.Community, err)
			}
		}
		ed.set(ng)
	}
	return nil
}

// overlayErr answers an overlay that fails on the planner's shapes as
// Invalid naming field.
func overlayErr(field string, err error) error {
	return errs.E(errs.Invalid, field, "the shapes cannot be overlaid: %s", problem(err))
}

// partitionErr keeps a coded error (and a cancelled context) as it is and
// answers a partitioner failure on the planner's input as Invalid naming
// field, not as a server error.
func partitionErr(field string, err error) error {
	if _, coded := errs.As(err); coded || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.E(errs.Invalid, field, "the partitioner cannot plan it: %v", err)
}

// splitTarget is a target for which GridCount(hh, target) is n.
func splitTarget(hh, n int) int {
	t := int(math.Round(float64(hh) / float64(n)))
	if t < 1 {
		t = 1
	}
	for d := 0; d < 3 && bundle.GridCount(hh, t) != n; d++ {
		if bundle.GridCount(hh, t) > n {
			t++
		} else if t > 1 {
			t--
		}
	}
	return t
}

// freeSeqs returns the community's n smallest sequence numbers no grid of
// the plan (or of this edit) uses.
func (ed *editor) freeSeqs(c bundle.CommunityCode, n int) []int {
	used := map[int]bool{}
	for _, g := range ed.p.Grids {
		if g.Community == c {
			used[g.Code.Seq()] = true
		}
	}
	for code := range ed.put {
		if code.Community() == c {
			used[code.Seq()] = true
		}
	}
	var out []int
	for s := 1; len(out) < n && s < 1000; s++ {
		if !used[s] {
			out = append(out, s)
		}
	}
	for len(out) < n {
		out = append(out, 1000) // NewGridCode refuses it
	}
	return out
}

// redraw gives the part of a polygon inside the grid's community to the
// grid, taking it from the neighbours it overlaps; a neighbour left
// without households is removed and its rest joins the grid.
func (ed *editor) redraw(e Edit) error {
	g, err := ed.grid("/grid", e.Grid)
	if err != nil {
		return err
	}
	if err := ed.unlocked("/grid", g); err != nil {
		return err
	}
	poly, err := readPolygon("/polygon", e.Polygon)
	if err != nil {
		return err
	}
	return ed.give(g, poly, "/polygon")
}

// give moves region (clipped to g's community) into grid g.
func (ed *editor) give(g *Grid, region orb.MultiPolygon, field string) error {
	c, ok := ed.b.Community(g.Community)
	if !ok {
		return errs.E(errs.Invalid, "/grid", "community %s of grid %s is not in the bundle", g.Community, g.Code)
	}
	inC, err := sfgeom.Intersection(sfgeom.FromOrb(region), sfgeom.FromOrb(c.Geom))
	if err != nil {
		return overlayErr(field, err)
	}
	if len(inC) == 0 {
		return errs.E(errs.Invalid, field, "the polygon does not reach into community %s", g.Community)
	}
	gain := g.Geom
	rb := inC.Bound()
	var touched bool
	for i := range ed.p.Grids {
		n := &ed.p.Grids[i]
		if n.Code == g.Code || n.Community != g.Community || !n.Geom.Bound().Intersects(rb) {
			continue
		}
		take, err := sfgeom.Intersection(sfgeom.FromOrb(n.Geom), sfgeom.FromOrb(inC))
		if err != nil {
			return overlayErr(field, err)
		}
		if planarArea(take)*planarScaleM2(ed.b) < MinGridAreaM2/100 {
			continue
		}
		if n.Locked {
			return errs.E(errs.Conflict, field, "the polygon takes from grid %s, which is locked", n.Code)
		}
		rest, err := sfgeom.Difference(n.Geom, inC)
		if err != nil {
			return overlayErr(field, err)
		}
		touched = true
		ng := *n
		ng.Geom = rest
		if len(rest) == 0 || planarArea(rest)*planarScaleM2(ed.b) < MinGridAreaM2 || ed.households(ng) == 0 {
			// Left empty: removed; its rest joins g.
			if len(rest) > 0 {
				if gain, err = sfgeom.Union(gain, rest); err != nil {
					return overlayErr(field, err)
				}
			}
			ed.remove(n)
		} else {
			ed.set(ng)
		}
		if gain, err = sfgeom.Union(gain, take); err != nil {
			return overlayErr(field, err)
		}
	}
	if !touched {
		return errs.E(errs.Invalid, field, "the polygon takes nothing from grid %s's neighbours", g.Code)
	}
	ng := *g
	ng.Geom = gain
	ed.set(ng)
	return nil
}

// readPolygon parses a GeoJSON Polygon or MultiPolygon geometry.
func readPolygon(field string, raw json.RawMessage) (orb.MultiPolygon, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errs.E(errs.Invalid, field, "missing; send a GeoJSON Polygon")
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil || g == nil || g.Coordinates == nil {
		return nil, errs.E(errs.Invalid, field, "not a GeoJSON geometry")
	}
	var mp orb.MultiPolygon
	switch v := g.Coordinates.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		mp = v
	default:
		return nil, errs.E(errs.Invalid, field, "a %s, want a Polygon or MultiPolygon", g.Coordinates.GeoJSONType())
	}
	if err := CheckAreal(mp); err != nil {
		return nil, errs.E(errs.Invalid, field, "%v", err)
	}
	if err := geo.ValidateMultiPolygon(mp); err != nil {
		return nil, errs.E(errs.Invalid, field, "%s", problem(err))
	}
	return mp, nil
}

// rebalance re-plans the named communities with the partitioner, warm
// from their current grids, keeping their locked grids.
func (ed *editor) rebalance(ctx context.Context, e Edit, part Partitioner) error {
	if len(e.Communities) == 0 {
		return errs.E(errs.Invalid, "/communities", "name at least one community")
	}
	if part == nil {
		return errs.E(errs.Internal, "", "rebalance needs a partitioner")
	}
	sub := &bundle.Bundle{District: ed.b.District, Streets: ed.b.Streets, Workers: ed.b.Workers}
	want := map[bundle.CommunityCode]bool{}
	for k, c := range e.Communities {
		cm, ok := ed.b.Community(c)
		if !ok {
			return errs.E(errs.Invalid, fmt.Sprintf("/communities/%d", k), "community %q is not in the bundle", clip.Text(string(c), 40))
		}
		if !want[c] {
			sub.Communities = append(sub.Communities, *cm)
		}
		want[c] = true
	}
	params := ed.p.Params
	if params.Validate() != nil {
		params = DefaultParams()
	}
	params.Locked, params.Previous, params.Progress = nil, nil, nil
	var cur []Grid
	for _, g := range ed.p.Grids {
		if !want[g.Community] {
			continue
		}
		cur = append(cur, g)
		if g.Locked {
			params.Locked = append(params.Locked, g)
		} else {
			params.Previous = append(params.Previous, g)
		}
	}
	sub.Buildings = ed.buildingsIn(cur...)
	grids, err := part(ctx, sub, params)
	if err != nil {
		return partitionErr("/communities", err)
	}
	old := map[bundle.GridCode]*Grid{}
	for i := range cur {
		old[cur[i].Code] = &cur[i]
	}
	for _, g := range grids {
		if o, ok := old[g.Code]; ok {
			g.Locked = o.Locked
			if o.Locked {
				g.Geom = o.Geom // a locked grid is never changed
			}
			delete(old, g.Code)
		}
		ed.set(g)
	}
	for _, o := range old {
		ed.remove(o)
	}
	for c := range want {
		ed.comms[c] = true
	}
	return nil
}

// buildingsIn returns the buildings the plan's membership rule puts in
// any of grids: a point-in-polygon index over grids and every grid of the
// plan near them, so that a building on a shared edge goes where /locate
// puts it.
func (ed *editor) buildingsIn(grids ...Grid) []bundle.Building {
	if len(grids) == 0 {
		return nil
	}
	bd := grids[0].Geom.Bound()
	mine := map[bundle.GridCode]bool{}
	for _, g := range grids {
		bd = bd.Union(g.Geom.Bound())
		mine[g.Code] = true
	}
	areas := make([]geo.Area, 0, len(grids)+8)
	in := make([]bool, 0, cap(areas))
	for _, g := range grids {
		areas = append(areas, geo.Area{Code: string(g.Code), Geom: g.Geom})
		in = append(in, true)
	}
	for _, g := range ed.p.Grids {
		if !mine[g.Code] && g.Geom.Bound().Intersects(bd) {
			areas = append(areas, geo.Area{Code: string(g.Code), Geom: g.Geom})
			in = append(in, false)
		}
	}
	ix, err := geo.NewTransientPolygonIndex(areas)
	if err != nil {
		return nil
	}
	var out []bundle.Building
	for _, bl := range ed.b.Buildings {
		if !bd.Contains(bl.Loc) {
			continue
		}
		if k, ok := ix.Locate(bl.Loc[0], bl.Loc[1]); ok && in[k] {
			out = append(out, bl)
		}
	}
	return out
}

// households counts g's households by the membership rule.
func (ed *editor) households(g Grid) int {
	n := 0
	for _, bl := range ed.buildingsIn(g) {
		n += bl.Households
	}
	return n
}

// finish builds the new grid list, recounts the touched communities'
// households and validates them.
func (ed *editor) finish() (*EditResult, error) {
	out := &EditResult{Removed: []bundle.GridCode{}}
	for _, g := range ed.p.Grids {
		if ed.removed[g.Code] {
			continue
		}
		if _, ok := ed.put[g.Code]; ok {
			continue
		}
		out.Grids = append(out.Grids, g)
	}
	for _, g := range ed.put {
		out.Grids = append(out.Grids, g)
	}
	sort.Slice(out.Grids, func(i, j int) bool { return out.Grids[i].Code < out.Grids[j].Code })
	for c := range ed.removed {
		out.Removed = append(out.Removed, c)
	}
	sort.Slice(out.Removed, func(i, j int) bool { return out.Removed[i] < out.Removed[j] })

	// Recount every grid of the touched communities by the one rule.
	next := &Plan{ID: ed.p.ID, Name: ed.p.Name, Status: ed.p.Status, Parent: ed.p.Parent, Params: ed.p.Params, Grids: out.Grids}
	rc := &editor{p: next, b: ed.b}
	var touched []int
	for i, g := range out.Grids {
		if ed.comms[g.Community] {
			touched = append(touched, i)
		}
	}
	sub := make([]Grid, len(touched))
	for k, i := range touched {
		sub[k] = out.Grids[i]
	}
	blds := rc.buildingsIn(sub...)
	counts := countIn(sub, blds)
	for k, i := range touched {
		g := &out.Grids[i]
		_, changed := ed.put[g.Code]
		if g.Households != counts[k] {
			g.Households, changed = counts[k], true
		}
		sub[k] = *g
		if changed {
			ed.put[g.Code] = *g
		}
	}
	codes := make([]bundle.GridCode, 0, len(ed.put))
	for c := range ed.put {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	for _, c := range codes {
		out.Changed = append(out.Changed, ed.put[c])
	}

	// Validate the touched communities with their buildings.
	vb := &bundle.Bundle{District: ed.b.District, Streets: ed.b.Streets, Buildings: blds}
	for c := range ed.comms {
		if cm, ok := ed.b.Community(c); ok {
			vb.Communities = append(vb.Communities, *cm)
		}
	}
	for _, w := range ed.b.Workers {
		if ed.comms[w.Community] {
			vb.Workers = append(vb.Workers, w)
		}
	}
	out.Base = ed.base(out.Changed, out.Removed)
	out.Units = ed.finishUnits(out.Grids)
	out.Findings = Validate(&Plan{ID: next.ID, Params: next.Params, Grids: sub}, vb)
	if n := len(out.Findings.Errors()); n > 0 {
		return nil, &RefusedError{Findings: out.Findings,
			Err: errs.E(errs.Invalid, "body", "the edit would leave %d blocking finding(s); plan %d is unchanged", n, ed.p.ID)}
	}
	return out, nil
}

// countIn counts the households of blds in each of grids (blds all fall in
// one of them by the membership rule).
func countIn(grids []Grid, blds []bundle.Building) []int {
	out := make([]int, len(grids))
	if len(grids) == 0 {
		return out
	}
	areas := make([]geo.Area, len(grids))
	for i, g := range grids {
		areas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
	}
	ix, err := geo.NewTransientPolygonIndex(areas)
	if err != nil {
		return out
	}
	for _, bl := range blds {
		if k, ok := ix.Locate(bl.Loc[0], bl.Loc[1]); ok {
			out[k] += bl.Households
		}
	}
	return out
}
