package gridplan

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/sfgeom"
)

// Severity says whether a finding blocks a plan (Error) or only informs
// the planner (Warning).
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Rule names what a finding checks.
type Rule string

// The rules of Validate. Errors block a plan; warnings do not.
const (
	RuleCode          Rule = "code"           // error: malformed, non-nested or duplicate code
	RuleCommunity     Rule = "community"      // error: the grid's community is not in the bundle
	RuleValid         Rule = "valid"          // error: invalid geometry (self-intersection, bad ring, ...)
	RuleOutside       Rule = "outside"        // error: area of the grid outside its community, m²
	RuleGap           Rule = "gap"            // error: area of a community covered by no grid, m²
	RuleOverlap       Rule = "overlap"        // error: area two grids share, m²
	RuleContiguous    Rule = "contiguous"     // error: parts of a grid in a single-part community
	RuleEmpty         Rule = "empty"          // error: a grid without households or area
	RuleHouseholds    Rule = "households"     // error: households differ from the buildings' count
	RuleNoGrids       Rule = "no_grids"       // error: a community without grids
	RuleBalance       Rule = "balance"        // warning: households outside the tolerance of the target
	RuleCompactness   Rule = "polsby_popper"  // warning: Polsby-Popper compactness below MinPolsbyPopper
	RuleWithoutWorker Rule = "without_worker" // warning: the community has fewer workers than grids
)

// Limits of Validate. Areas are measured in the plane the plan is drawn in
// (planar lon/lat, RFC 7946's straight edges) and scaled to m² at the
// district's latitude: the model of the partitioner's PostGIS oracle
// (oracle_test.go), so that the few centimetres between two edge models
// along a long boundary are not reported as gaps.
const (
	MaxGapM2        = 1.0  // per community, area covered by no grid
	MaxOverlapM2    = 1.0  // per pair of grids
	MaxOutsideM2    = 0.1  // per grid, area outside its community
	MinGridAreaM2   = 1.0  // a smaller grid is empty
	MinPolsbyPopper = 0.30 // compactness below it is a warning
)

// Finding is one problem Validate found. Grid is empty for a finding about
// a community (RuleGap, RuleNoGrids). Value is what was measured and Limit
// the bound it broke (for RuleHouseholds, Value is the file's figure and
// Limit the count from the buildings).
type Finding struct {
	Grid      bundle.GridCode      `json:"grid,omitempty"`
	Community bundle.CommunityCode `json:"community,omitempty"`
	Rule      Rule                 `json:"rule"`
	Severity  Severity             `json:"severity"`
	Value     float64              `json:"value"`
	Limit     float64              `json:"limit"`
	Msg       string               `json:"message"`
}

func (f Finding) field() string {
	switch {
	case f.Grid != "":
		return "grid " + string(f.Grid)
	case f.Community != "":
		return "community " + string(f.Community)
	}
	return "plan"
}

// Findings are a plan's validation results, errors first.
type Findings []Finding

// Errors returns the findings that block the plan.
func (fs Findings) Errors() Findings { return fs.only(Error) }

// Warnings returns the findings that do not block it.
func (fs Findings) Warnings() Findings { return fs.only(Warning) }

func (fs Findings) only(s Severity) Findings {
	var out Findings
	for _, f := range fs {
		if f.Severity == s {
			out = append(out, f)
		}
	}
	return out
}

// Err returns every error finding as one Invalid error (an errs.List, one
// problem a finding, each naming the grid or community), nil when there
// is none.
func (fs Findings) Err() error {
	var l errs.List
	for _, f := range fs.Errors() {
		l = append(l, errs.E(errs.Invalid, f.field(), "%s: %s", f.Rule, f.Msg))
	}
	return l.Err()
}

// Validate checks plan p against the district's bundle b and returns every
// finding (nil when the plan is clean). Errors: malformed, non-nested or
// duplicate codes; a grid of an unknown community; invalid geometry
// (geo.ValidateMultiPolygon); a grid reaching outside its community, gaps
// in a community's cover and overlaps between grids (planar areas above
// MaxOutsideM2, MaxGapM2, MaxOverlapM2); a grid of several parts in a
// single-part community; a grid without area, or without households in a
// community that has some; households
// that differ from the buildings' count; a community without grids.
// Warnings: households outside the plan's tolerance of the grid's target,
// Polsby-Popper below MinPolsbyPopper, a grid the community's workers do
// not reach (workers are dealt round-robin over the grids by code).
//
// Households are recomputed with geo.PolygonIndex, the predicate and tie
// rule /locate answers with, so that the counts agree with where /locate
// puts each building. Validate is pure and does not change p.
func Validate(p *Plan, b *bundle.Bundle) Findings {
	v := newValidator(p, b)
	v.codes()
	v.geometry()
	v.tiling()
	v.households()
	v.warnings()
	return v.sorted()
}

type validator struct {
	p     *Plan
	b     *bundle.Bundle
	out   Findings
	comms map[bundle.CommunityCode]*bundle.Community
	// ok[i]: grid i has a valid code, a known community and valid
	// geometry, so it takes part in tiling and households.
	ok      []bool
	counted []int // households of grid i from the buildings
	scaleM2 float64
}

func newValidator(p *Plan, b *bundle.Bundle) *validator {
	v := &validator{p: p, b: b, comms: make(map[bundle.CommunityCode]*bundle.Community, len(b.Communities))}
	for i := range b.Communities {
		v.comms[b.Communities[i].Code] = &b.Communities[i]
	}
	v.ok = make([]bool, len(p.Grids))
	v.counted = make([]int, len(p.Grids))
	v.scaleM2 = planarScaleM2(b)
	return v
}

// planarScaleM2 turns a planar lon/lat area (degrees²) into m² at the
// district's latitude.
func planarScaleM2(b *bundle.Bundle) float64 {
	bd := b.District.Geom.Bound()
	if len(b.District.Geom) == 0 && len(b.Communities) > 0 {
		bd = b.Communities[0].Geom.Bound()
	}
	return 111320 * math.Cos(bd.Center()[1]*math.Pi/180) * 110574
}

func (v *validator) add(g *Grid, c bundle.CommunityCode, rule Rule, sev Severity, value, limit float64, format string, args ...any) {
	f := Finding{Community: c, Rule: rule, Severity: sev, Value: value, Limit: limit, Msg: fmt.Sprintf(format, args...)}
	if g != nil {
		f.Grid, f.Community = g.Code, g.Community
	}
	v.out = append(v.out, f)
}

// codes checks each grid's code: well formed, nested in its community,
// street and district, unique, and of a community the bundle has.
func (v *validator) codes() {
	seen := make(map[bundle.GridCode]bool, len(v.p.Grids))
	for i := range v.p.Grids {
		g := &v.p.Grids[i]
		ok := true
		bad := func(format string, args ...any) {
			v.add(g, "", RuleCode, Error, 0, 0, format, args...)
			ok = false
		}
		if _, err := bundle.ParseGridCode(string(g.Code)); err != nil {
			bad("%q is not a 15-digit grid code", g.Code)
		} else {
			if g.Community != g.Code.Community() {
				bad("community %q does not match grid code %s", g.Community, g.Code)
			}
			if g.Street != g.Code.Community().Street() {
				bad("street %q does not match grid code %s", g.Street, g.Code)
			}
			if !strings.HasPrefix(string(g.Code), string(v.b.District.Code)) {
				bad("grid code %s is not in district %s", g.Code, v.b.District.Code)
			}
		}
		if seen[g.Code] {
			bad("grid code %s appears more than once", g.Code)
		}
		seen[g.Code] = true
		if _, known := v.comms[g.Community]; !known && ok {
			v.add(g, "", RuleCommunity, Error, 0, 0, "community %s is not in the district's bundle", g.Community)
			ok = false
		}
		v.ok[i] = ok
	}
}

// geometry checks each grid's geometry is valid, and in one part where
// its community is.
func (v *validator) geometry() {
	for i := range v.p.Grids {
		g := &v.p.Grids[i]
		if err := checkMultiPolygon("geom", g.Geom); err != nil {
			v.add(g, "", RuleValid, Error, 0, 0, "%s", problem(err))
			v.ok[i] = false
			continue
		}
		if err := geo.ValidateMultiPolygon(g.Geom); err != nil {
			v.add(g, "", RuleValid, Error, 0, 0, "%s", problem(err))
			v.ok[i] = false
			continue
		}
		if c := v.comms[g.Community]; c != nil && len(c.Geom) == 1 && len(g.Geom) > 1 {
			v.add(g, "", RuleContiguous, Error, float64(len(g.Geom)), 1, "%d separate parts in a single-part community", len(g.Geom))
		}
	}
}

func problem(err error) string {
	if e, ok := errs.As(err); ok {
		if e.Field != "" && e.Field != "geom" {
			return e.Field + ": " + e.Msg
		}
		return e.Msg
	}
	return err.Error()
}

// tiling checks, community by community (in parallel: the overlays are
// most of Validate's time), that the grids cover it with no gap, overlap
// or overhang, and that every community has grids.
func (v *validator) tiling() {
	byComm := map[bundle.CommunityCode][]int{}
	broken := map[bundle.CommunityCode]bool{}
	for i, g := range v.p.Grids {
		if _, known := v.comms[g.Community]; !known {
			continue
		}
		byComm[g.Community] = append(byComm[g.Community], i)
		broken[g.Community] = broken[g.Community] || !v.ok[i]
	}
	found := make([]Findings, len(v.b.Communities))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				found[i] = v.tileCommunity(&v.b.Communities[i], byComm[v.b.Communities[i].Code])
			}
		}()
	}
	for i := range v.b.Communities {
		c := &v.b.Communities[i]
		switch idx := byComm[c.Code]; {
		case len(idx) == 0:
			v.add(nil, c.Code, RuleNoGrids, Error, 0, 1, "community %s has no grids", c.Code)
		case broken[c.Code]:
			// Its invalid grids are reported; an overlay of them would not be
			// trustworthy.
		default:
			next <- i
		}
	}
	close(next)
	wg.Wait()
	for _, fs := range found {
		v.out = append(v.out, fs...)
	}
}

func (v *validator) tileCommunity(c *bundle.Community, idx []int) (out Findings) {
	add := func(g *Grid, rule Rule, value, limit float64, format string, args ...any) {
		f := Finding{Community: c.Code, Rule: rule, Severity: Error, Value: value, Limit: limit, Msg: fmt.Sprintf(format, args...)}
		if g != nil {
			f.Grid = g.Code
		}
		out = append(out, f)
	}
	defer func() {
		if r := recover(); r != nil {
			add(nil, RuleValid, 0, 0, "cannot overlay the community's grids: %v", r)
		}
	}()
	cg := sfgeom.FromOrb(c.Geom)
	gs := make([]geom.Geometry, len(idx))
	sum := 0.0
	for k, i := range idx {
		gs[k] = sfgeom.FromOrb(v.p.Grids[i].Geom)
		sum += gs[k].Area()
	}
	union, err := geom.UnionMany(gs)
	if err != nil {
		add(nil, RuleValid, 0, 0, "cannot overlay the community's grids: %v", err)
		return out
	}
	if gap, err := geom.Difference(cg, union); err == nil {
		if a := gap.Area() * v.scaleM2; a > MaxGapM2 {
			at := gap.Centroid()
			xy, _ := at.XY()
			add(nil, RuleGap, a, MaxGapM2, "%.1f m² of community %s is covered by no grid (near %.6f, %.6f)", a, c.Code, xy.X, xy.Y)
		}
	}
	if out, err := geom.Difference(union, cg); err == nil && out.Area()*v.scaleM2 > MaxOutsideM2 {
		for k, i := range idx {
			d, err := geom.Difference(gs[k], cg)
			if err != nil {
				continue
			}
			if a := d.Area() * v.scaleM2; a > MaxOutsideM2 {
				add(&v.p.Grids[i], RuleOutside, a, MaxOutsideM2, "%.1f m² outside community %s", a, c.Code)
			}
		}
	}
	if (sum-union.Area())*v.scaleM2 > MaxOverlapM2 {
		out = append(out, v.overlaps(c.Code, idx, gs)...)
	}
	return out
}

// overlaps reports each pair of grids sharing more than MaxOverlapM2.
func (v *validator) overlaps(c bundle.CommunityCode, idx []int, gs []geom.Geometry) (out Findings) {
	for a := range idx {
		ba := v.p.Grids[idx[a]].Geom.Bound()
		for b := a + 1; b < len(idx); b++ {
			if !ba.Intersects(v.p.Grids[idx[b]].Geom.Bound()) {
				continue
			}
			x, err := geom.Intersection(gs[a], gs[b])
			if err != nil {
				continue
			}
			if ar := x.Area() * v.scaleM2; ar > MaxOverlapM2 {
				other := v.p.Grids[idx[b]].Code
				out = append(out, Finding{Grid: v.p.Grids[idx[a]].Code, Community: c, Rule: RuleOverlap, Severity: Error, Value: ar, Limit: MaxOverlapM2,
					Msg: fmt.Sprintf("overlaps grid %s by %.1f m²", other, ar)})
			}
		}
	}
	return out
}

// households recounts each grid's households from the buildings with
// /locate's point-in-polygon rule, and reports grids whose figure differs
// and grids left empty.
func (v *validator) households() {
	var areas []geo.Area
	var at []int // areas[k] is grid at[k]
	for i, g := range v.p.Grids {
		if v.ok[i] {
			areas = append(areas, geo.Area{Code: string(g.Code), Geom: g.Geom})
			at = append(at, i)
		}
	}
	if len(areas) > 0 {
		ix, err := geo.NewTransientPolygonIndex(areas)
		if err != nil {
			v.add(nil, "", RuleValid, Error, 0, 0, "cannot index the grids: %s", problem(err))
			return
		}
		for _, bl := range v.b.Buildings {
			if k, in := ix.Locate(bl.Loc[0], bl.Loc[1]); in {
				v.counted[at[k]] += bl.Households
			}
		}
	}
	// A community without households (a lake, a works) has one grid
	// with none; elsewhere a grid without households is empty.
	communityHH := map[bundle.CommunityCode]int{}
	for i, g := range v.p.Grids {
		communityHH[g.Community] += v.counted[i]
	}
	for i := range v.p.Grids {
		g := &v.p.Grids[i]
		if !v.ok[i] {
			continue
		}
		if area := planarArea(g.Geom) * v.scaleM2; area < MinGridAreaM2 {
			v.add(g, "", RuleEmpty, Error, area, MinGridAreaM2, "the grid covers %.3g m²", area)
		} else if v.counted[i] == 0 && communityHH[g.Community] > 0 {
			v.add(g, "", RuleEmpty, Error, 0, 1, "no building's households fall in the grid, though its community has %d", communityHH[g.Community])
		}
		if g.Households != v.counted[i] {
			v.add(g, "", RuleHouseholds, Error, float64(g.Households), float64(v.counted[i]),
				"grid %s: the plan says %d households, the buildings in it hold %d", g.Code, g.Households, v.counted[i])
		}
	}
}

// planarArea is the area of mp in degrees² (shells minus holes).
func planarArea(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		for j, r := range p {
			s := math.Abs(sfgeom.SignedArea(r))
			if j == 0 {
				a += s
			} else {
				a -= s
			}
		}
	}
	return a
}

// warnings adds the findings that do not block a plan.
func (v *validator) warnings() {
	tol := v.p.Params.TolerancePct
	if tol <= 0 {
		tol = DefaultParams().TolerancePct
	}
	workers := map[bundle.CommunityCode]int{}
	for _, w := range v.b.Workers {
		workers[w.Community]++
	}
	byComm := map[bundle.CommunityCode][]bundle.GridCode{}
	for i := range v.p.Grids {
		g := &v.p.Grids[i]
		if !v.ok[i] {
			continue
		}
		byComm[g.Community] = append(byComm[g.Community], g.Code)
		if g.Target > 0 {
			dev := 100 * float64(v.counted[i]-g.Target) / float64(g.Target)
			if math.Abs(dev) > tol {
				v.add(g, "", RuleBalance, Warning, float64(v.counted[i]), float64(g.Target),
					"%d households, %+.0f%% from the target %d (tolerance ±%.0f%%)", v.counted[i], dev, g.Target, tol)
			}
		}
		if pp := geo.PolsbyPopper(g.Geom); pp < MinPolsbyPopper {
			v.add(g, "", RuleCompactness, Warning, pp, MinPolsbyPopper, "Polsby-Popper %.2f below %.2f", pp, MinPolsbyPopper)
		}
	}
	for c, codes := range byComm {
		sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
		for k := workers[c]; k < len(codes); k++ {
			v.out = append(v.out, Finding{Grid: codes[k], Community: c, Rule: RuleWithoutWorker, Severity: Warning,
				Value: float64(workers[c]), Limit: float64(len(codes)),
				Msg: fmt.Sprintf("community %s has %d workers for %d grids; grid %s gets none", c, workers[c], len(codes), codes[k])})
		}
	}
}

// sorted returns the findings errors first, then by grid, community and rule.
func (v *validator) sorted() Findings {
	sort.SliceStable(v.out, func(i, j int) bool {
		a, b := v.out[i], v.out[j]
		if a.Severity != b.Severity {
			return a.Severity == Error
		}
		if a.Community != b.Community {
			return a.Community < b.Community
		}
		if a.Grid != b.Grid {
			return a.Grid < b.Grid
		}
		return a.Rule < b.Rule
	})
	return v.out
}
