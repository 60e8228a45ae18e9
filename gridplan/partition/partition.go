package partition

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/sync/errgroup"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/internal/sfgeom"
)

// starts is how many independent bisection + local-search runs a community
// gets; the best by objective wins.
const starts = 2

// maxStarts is how many starts a community gets while a grid is still
// beyond the tolerance after the first ones, where a start is cheap: its
// cells times grids at most maxExtraStartWork (the tower district's
// communities: at most about 4,000 cells × 30 grids; unbounded, the extra
// starts took Pukou ×10 from 100 to 122 CPU seconds).
const (
	maxStarts         = 6
	maxExtraStartWork = 250_000
)

// GridCount is the number of grids for h households at target households a
// grid; the rule is bundle.GridCount, kept here because it is the planner's
// public API.
func GridCount(h, target int) int { return bundle.GridCount(h, target) }

// commJob is one community's planning input.
type commJob struct {
	comm      *bundle.Community
	buildings []int // indices into b.Buildings
	locked    []gridplan.Grid
	previous  []gridplan.Grid
}

// commResult is one community's grids.
type commResult struct {
	grids []gridplan.Grid
	own   []bool // grid made for one building too big for a grid
	// units are the graph's cells with the grid that owns them; none
	// for a community planned as one grid or without households.
	units []gridplan.Unit
}

// nodeUnits are the planning units of a community: each graph node's cell
// with its households and the grid of its part (fresh: the grids made of
// the non-empty geoms, in order). Fringe cells (centre outside the
// community, no building) are not units: their part of the community is
// drawn with a neighbour's grid.
func nodeUnits(t *cellTable, g *graph, owner []int32, geoms []orb.MultiPolygon, fresh []gridplan.Grid) []gridplan.Unit {
	code := make([]bundle.GridCode, len(geoms))
	n := 0
	for part, geom := range geoms {
		if len(geom) > 0 && n < len(fresh) {
			code[part] = fresh[n].Code
			n++
		}
	}
	out := make([]gridplan.Unit, 0, g.n)
	for v := 0; v < g.n; v++ {
		ci := g.cells[v]
		o := owner[ci]
		if o < 0 || int(o) >= len(code) || code[o] == "" {
			continue
		}
		out = append(out, gridplan.Unit{ID: gridplan.UnitID(t.cells[ci].id), Grid: code[o], Households: g.w[v]})
	}
	return out
}

// tooBig tells a building with more households than a grid may hold
// (target + tolerance): it becomes a grid of its own.
func tooBig(h, target int, tolPct float64) bool {
	return float64(h) > float64(target)*(1+tolPct/100)
}

// Partition divides every community of b into grids of about the target
// households (Params.UrbanTarget / RuralTarget) that tile it exactly. It
// is deterministic for p.Seed: each community's randomness is seeded from
// (seed, community code), independent of scheduling. Communities are
// planned in parallel on GOMAXPROCS workers (at most p.MaxWorkers). Locked grids are kept as they
// are; with Previous set, a community whose previous grids are given starts
// from them, which keeps most households in their grid.
func Plan(ctx context.Context, b *bundle.Bundle, p gridplan.Params) (*gridplan.Plan, *Report, error) {
	start := time.Now()
	if b == nil {
		return nil, nil, errs.E(errs.Invalid, "bundle", "is nil")
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if len(b.Communities) == 0 {
		return nil, nil, errs.E(errs.Invalid, "bundle", "has no communities")
	}
	jobs := make([]commJob, len(b.Communities))
	byCode := map[bundle.CommunityCode]int{}
	bounds := make([]orb.Bound, len(b.Communities))
	for i := range b.Communities {
		c := &b.Communities[i]
		if _, dup := byCode[c.Code]; dup {
			return nil, nil, errs.E(errs.Invalid, "bundle", "community %s appears twice", c.Code)
		}
		if err := gridplan.CheckAreal(c.Geom); err != nil {
			return nil, nil, errs.E(errs.Invalid, "community "+string(c.Code), "%v", err)
		}
		byCode[c.Code] = i
		jobs[i].comm = c
		bounds[i] = c.Geom.Bound()
	}
	for _, grp := range []struct {
		name  string
		grids []gridplan.Grid
		put   func(j *commJob, g gridplan.Grid)
	}{
		{"locked", p.Locked, func(j *commJob, g gridplan.Grid) { j.locked = append(j.locked, g) }},
		{"previous", p.Previous, func(j *commJob, g gridplan.Grid) { j.previous = append(j.previous, g) }},
	} {
		for gi, g := range grp.grids {
			i, ok := byCode[g.Community]
			if !ok {
				return nil, nil, errs.E(errs.Invalid, fmt.Sprintf("%s[%d]", grp.name, gi), "grid %s names unknown community %s", g.Code, g.Community)
			}
			if err := gridplan.CheckAreal(g.Geom); err != nil {
				return nil, nil, errs.E(errs.Invalid, fmt.Sprintf("%s[%d]", grp.name, gi), "grid %s: %v", g.Code, err)
			}
			grp.put(&jobs[i], g)
		}
	}
	unplaced, err := placeBuildings(b, jobs)
	if err != nil {
		return nil, nil, err
	}

	results := make([]commResult, len(jobs))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(p.Workers(runtime.GOMAXPROCS(0)))
	var mu sync.Mutex
	done := 0
	// Big communities first so that the tail of the run stays short.
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return len(jobs[order[x]].buildings) > len(jobs[order[y]].buildings) })
	for _, i := range order {
		eg.Go(func() error {
			if err := ectx.Err(); err != nil {
				return err
			}
			res, err := safePlan(ectx, b, &jobs[i], p)
			if err != nil {
				return fmt.Errorf("community %s: %w", jobs[i].comm.Code, err)
			}
			results[i] = res
			mu.Lock()
			done++
			if p.Progress != nil {
				p.Progress(done, len(jobs))
			}
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	plan := &gridplan.Plan{Status: gridplan.Draft, Params: p}
	nGrids, nUnits := 0, 0
	for _, r := range results {
		nGrids += len(r.grids)
		nUnits += len(r.units)
	}
	if nGrids > 0 { // nil stays nil
		plan.Grids = make([]gridplan.Grid, 0, nGrids)
	}
	if nUnits > 0 {
		plan.Units = make([]gridplan.Unit, 0, nUnits)
	}
	own := map[bundle.GridCode]bool{}
	for _, r := range results {
		plan.Grids = append(plan.Grids, r.grids...)
		plan.Units = append(plan.Units, r.units...)
		for i, o := range r.own {
			if o {
				own[r.grids[i].Code] = true
			}
		}
	}
	sort.Slice(plan.Grids, func(i, j int) bool { return plan.Grids[i].Code < plan.Grids[j].Code })
	largest, err := countHouseholds(b, plan.Grids)
	if err != nil {
		return nil, nil, err
	}
	rep := newReport(b, plan.Grids, own, p, unplaced, time.Since(start))
	rep.explainOutliers(largest)
	data, err := json.Marshal(rep)
	if err != nil {
		return nil, nil, errs.Wrap(errs.Internal, err, "encode report")
	}
	plan.Report = data
	return plan, rep, nil
}

// safePlan plans one community; a panic (a bug on an unforeseen shape)
// becomes an Internal error naming the community instead of taking the
// caller's process down.
func safePlan(ctx context.Context, b *bundle.Bundle, j *commJob, p gridplan.Params) (res commResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errs.Wrap(errs.Internal, fmt.Errorf("panic: %v", r), "partition failed")
		}
	}()
	return planCommunity(ctx, b, j, p)
}

func communitySeed(seed int64, c bundle.CommunityCode) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(c))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// planCommunity plans one community in phases: set the locked grids aside,
// count households (one grid when k is 1), build the cell graph with its
// weights and pinned big buildings, label the cells (warm from a previous
// plan or cold by bisection), remove enclaves, draw the grids' shapes and
// number them.
func planCommunity(ctx context.Context, b *bundle.Bundle, j *commJob, p gridplan.Params) (commResult, error) {
	c := j.comm
	target := p.Target(c.Kind)
	mk := func(geom orb.MultiPolygon) gridplan.Grid {
		return gridplan.Grid{Community: c.Code, Street: c.Street, Kind: c.Kind, Target: target, Geom: geom}
	}
	out, region, buildings, err := setLockedAside(b, j)
	if err != nil {
		return commResult{}, err
	}
	if len(region) == 0 {
		return finish(c, out)
	}
	H, big := households(b, buildings, target, p.TolerancePct)
	k := GridCount(H, target)
	if H == 0 || k == 1 && !big {
		return finish(c, append(out, mk(region)))
	}
	t, g, pins := cellGraph(b, c, region, buildings, k, target, p.TolerancePct, p.RefineShare())
	s := newSplitPlan(g, H, pins, target)
	s.tol = p.TolerancePct / 100
	if s.kRest+len(pins) == 1 {
		return finish(c, append(out, mk(region)))
	}
	if err := ctx.Err(); err != nil {
		return commResult{}, err
	}
	rng := communitySeed(p.Seed, c.Code)
	var label []int32
	var keep []bundle.GridCode // codes to keep, per part, from a previous plan
	if len(j.previous) > 0 && len(pins) == 0 {
		label, keep = s.warm(rng, t, j.previous, p.TolerancePct)
	} else {
		label = s.cold(rng, maxStarts)
		if len(pins) == 0 && !p.ExactGridCount {
			t, g, s, label = otherCounts(rng, b, c, region, buildings, H, target, p, t, s, label)
		}
	}
	owner := t.fixEnclaves(rng, g, label, s.k, func() { g.localSearch(rng, label, s.k, s.mean, s.lambda, 40, len(j.previous) > 0) })
	geoms, err := gridGeoms(t, owner, s.k, region, buildingPoints(b, buildings))
	if err != nil {
		return commResult{}, err
	}
	if len(region) == 1 {
		geoms = repairParts(geoms, buildings, b)
	}
	cr, err := finishFresh(c, out, geoms, g.fixed, keep, mk)
	if err != nil {
		return cr, err
	}
	cr.units = nodeUnits(t, g, owner, geoms, cr.grids[len(out):])
	return cr, nil
}

// setLockedAside returns the locked grids (shape and code kept; households
// are recounted with the whole plan), the rest of the community to plan and the
// buildings in it. Without locked grids that is the whole community.
func setLockedAside(b *bundle.Bundle, j *commJob) (out []gridplan.Grid, region orb.MultiPolygon, buildings []int, err error) {
	region, buildings = j.comm.Geom, j.buildings
	if len(j.locked) == 0 {
		return nil, region, buildings, nil
	}
	var lockedGeom orb.MultiPolygon
	for _, g := range j.locked {
		lockedGeom = append(lockedGeom, g.Geom...)
		out = append(out, g)
	}
	rest, err := sfgeom.Difference(region, lockedGeom)
	if err != nil {
		return nil, nil, nil, err
	}
	kept := buildings[:0:0]
	for _, bi := range buildings {
		if !planar.MultiPolygonContains(lockedGeom, b.Buildings[bi].Loc) {
			kept = append(kept, bi)
		}
	}
	return out, dropSlivers(rest), kept, nil
}

// households sums the buildings' households and says whether one of them
// is too big for a grid.
func households(b *bundle.Bundle, buildings []int, target int, tolPct float64) (h int, big bool) {
	for _, bi := range buildings {
		h += b.Buildings[bi].Households
		if tooBig(b.Buildings[bi].Households, target, tolPct) {
			big = true
		}
	}
	return h, big
}

// cellGraph builds the community's cell table and graph at the resolution
// k grids call for, weighs each node by its buildings' households and pins
// the nodes holding a building too big for a grid (each its own grid),
// returned in node order.
func cellGraph(b *bundle.Bundle, c *bundle.Community, region orb.MultiPolygon, buildings []int, k, target int, tolPct, refineShare float64) (*cellTable, *graph, []int32) {
	pts := make([]orb.Point, len(buildings))
	hh := make([]int, len(buildings))
	for i, bi := range buildings {
		pts[i] = b.Buildings[bi].Loc
		hh[i] = b.Buildings[bi].Households
	}
	area := geo.AreaM2(region)
	res := refineRes(pts, hh, cellRes(c.Kind, area, k), area, refineShare*float64(target))
	t := buildCells(region, res, pts)
	g := newGraph(t)
	var pins []int32
	for i, bi := range buildings {
		bl := b.Buildings[bi]
		v := t.cells[t.index[t.cellAt(i, bl.Loc)]].node
		g.w[v] += bl.Households
		if tooBig(bl.Households, target, tolPct) && !g.pinned[v] {
			g.pinned[v] = true
			pins = append(pins, v)
		}
	}
	slices.Sort(pins)
	return t, g, pins
}

// splitPlan is how a community's graph is to be cut: k parts, of which the
// last len(pins) are one pinned big building each (fixed), the first kRest
// share the other households at mean each, with compactness weight lambda.
// k is at most the graph's nodes.
type splitPlan struct {
	g      *graph
	pins   []int32
	k      int
	kRest  int
	mean   float64
	lambda float64
	tol    float64 // the plan's tolerance, relative
}

func newSplitPlan(g *graph, H int, pins []int32, target int) *splitPlan {
	hPins := 0
	for _, v := range pins {
		hPins += g.w[v]
	}
	kRest := 0
	if H > hPins {
		kRest = GridCount(H-hPins, target)
	}
	return newSplitPlanK(g, H, hPins, pins, kRest)
}

// newSplitPlanK is newSplitPlan for kRest grids besides the pinned ones,
// whose households are hPins.
func newSplitPlanK(g *graph, H, hPins int, pins []int32, kRest int) *splitPlan {
	s := &splitPlan{g: g, pins: pins, kRest: kRest}
	s.k = s.kRest + len(pins)
	if s.k > g.n {
		s.k = g.n
	}
	g.fixed = make([]bool, max(s.k, 0))
	for i := s.kRest; i < s.k; i++ {
		g.fixed[i] = true
	}
	s.mean = float64(H) / float64(s.k)
	if s.kRest > 0 {
		s.mean = float64(H-hPins) / float64(s.kRest)
	}
	// A grid's perimeter in cells grows with the square root of its cells;
	// the compactness weight per cut edge is scaled so that it balances a
	// few percent of deviation.
	s.lambda = 0.04 / math.Sqrt(float64(g.n)/float64(s.k))
	return s
}

// warm starts from the previous plan's grids and moves only cells that
// improve balance; grids still out of tolerance get re-split with a
// neighbour, so only those pairs' households move. It returns the labels
// and, per part, the previous code to keep.
func (s *splitPlan) warm(rng *rand.Rand, t *cellTable, prev []gridplan.Grid, tolPct float64) ([]int32, []bundle.GridCode) {
	g, k := s.g, s.k
	label, keep := g.warmLabels(rng, t, prev, k, s.mean)
	g.localSearch(rng, label, k, s.mean, s.lambda, 60, true)
	if g.worstDev(label, k, s.mean) > 0.8*tolPct/100 {
		g.recom(rng, label, k, s.mean, s.lambda, k)
		g.localSearch(rng, label, k, s.mean, s.lambda, 60, true)
	}
	return label, keep
}

// cold plans afresh: per start, recursive bisection of the unpinned nodes
// (or, with only pinned grids, the pins grown over the rest), local search,
// ReCom and local search again; the start of least objective wins, and each
// pinned grid is opened to its host's border.
func (s *splitPlan) cold(rng *rand.Rand, maxS int) []int32 {
	g, k := s.g, s.k
	var rest []int32
	for v := 0; v < g.n; v++ {
		if !g.pinned[v] {
			rest = append(rest, int32(v))
		}
	}
	var label []int32
	bestF := math.Inf(1)
	bestOut := math.MaxInt
	extra := maxS
	if g.n*k > maxExtraStartWork {
		extra = starts
	}
	for start := 0; start < starts || start < extra && bestOut > 0; start++ {
		l := make([]int32, g.n)
		if s.kRest > 0 {
			next := int32(0)
			g.split(rng, rest, s.kRest, s.mean, l, &next)
		}
		for i, v := range s.pins {
			l[v] = int32(s.kRest + i)
		}
		if s.kRest == 0 {
			for _, v := range rest {
				l[v] = -1
			}
			g.fillUnlabelled(l)
		}
		g.localSearch(rng, l, k, s.mean, s.lambda, 40, false)
		g.recom(rng, l, k, s.mean, s.lambda, k)
		g.localSearch(rng, l, k, s.mean, s.lambda, 40, false)
		if g.worstDev(l, k, s.mean) > softDev && g.swapPass(rng, l, k, s.mean, s.lambda, 20) > 0 {
			g.localSearch(rng, l, k, s.mean, s.lambda, 40, false)
		}
		if g.worstDev(l, k, s.mean) > softDev && g.chainPass(rng, l, k, s.mean, s.lambda, 10) > 0 {
			g.localSearch(rng, l, k, s.mean, s.lambda, 40, false)
		}
		if s.tol > 0 && g.worstDev(l, k, s.mean) > s.tol && g.unitSearch(rng, l, k, s.mean, s.lambda, s.tol) {
			g.localSearch(rng, l, k, s.mean, s.lambda, 40, true)
		}
		out := countOut(g.partWeights(l, k), g.fixed, s.mean, s.tol)
		if f := g.objective(l, k, s.mean, s.lambda); out < bestOut || out == bestOut && f < bestF {
			bestF, bestOut, label = f, out, l
		}
	}
	for _, v := range s.pins {
		g.openPin(v, label)
	}
	return label
}

// maxOtherCounts bounds the counts otherCounts tries (two starts each): a
// community of many grids has many counts whose mean fits (Pukou ×10's, of
// about 60 grids, a dozen), and each costs two plans.
const maxOtherCounts = 4

// otherCounts is the planning rule for lumpy households (issue 15): when
// the cold plan of k = GridCount(H, T) grids leaves a grid beyond the
// tolerance of the community mean, the community is planned again with
// every other count k' whose mean H/k' is within the tolerance of the
// target T, nearest first (k−1, k+1, k−2, k+2, …), and the count leaving
// fewest grids beyond ±OutlierPct, then fewest beyond the tolerance, is
// kept (ties: the earlier, so k itself first). With towers of about 200
// households a grid is two or three whole towers, and whether
// the right pairs and triples stand next to each other depends on the
// mean: a planner would plan grids of two or three towers, not a count
// fixed to the household total. It stops at the first count with no grid
// beyond the tolerance. The cell graph is rebuilt only when k' calls for
// another resolution.
func otherCounts(rng *rand.Rand, b *bundle.Bundle, c *bundle.Community, region orb.MultiPolygon, buildings []int, H, target int, p gridplan.Params,
	t *cellTable, s *splitPlan, label []int32) (*cellTable, *graph, *splitPlan, []int32) {
	t0, g, k0 := t, s.g, s.kRest
	g0 := g
	if g.n*s.k > maxExtraStartWork {
		return t, g, s, label // not cheap here: Pukou ×10's communities
	}
	// A count is better with fewer grids beyond ±OutlierPct (the goal that
	// outranks the share within the tolerance), then fewer beyond the
	// tolerance.
	far := float64(OutlierPct) / 100
	bestFar := countOut(g.partWeights(label, s.k), g.fixed, s.mean, far)
	bestOut := countOut(g.partWeights(label, s.k), g.fixed, s.mean, s.tol)
	bestFixed := g.fixed
	fits := func(kk int) bool { // mean H/kk within the tolerance of the target
		return kk >= 2 && math.Abs(float64(H)/float64(kk)-float64(target)) <= s.tol*float64(target)
	}
	var counts []int // k−1, k+1, k−2, k+2, … while the mean fits, at most maxOtherCounts
	for d := 1; (fits(k0-d) || fits(k0+d)) && len(counts) < maxOtherCounts; d++ {
		for _, kk := range []int{k0 - d, k0 + d} {
			if fits(kk) && len(counts) < maxOtherCounts {
				counts = append(counts, kk)
			}
		}
	}
	for _, kk := range counts {
		if bestOut == 0 {
			break
		}
		t2, g2 := t0, g0
		if cellRes(c.Kind, geo.AreaM2(region), kk) != cellRes(c.Kind, geo.AreaM2(region), k0) {
			t2, g2, _ = cellGraph(b, c, region, buildings, kk, target, p.TolerancePct, p.RefineShare())
		}
		s2 := newSplitPlanK(g2, H, 0, nil, kk)
		s2.tol = s.tol
		if s2.k != kk {
			continue // fewer nodes than grids
		}
		l2 := s2.cold(rng, starts) // two starts each, not up to maxStarts: CPU
		W := g2.partWeights(l2, kk)
		if nFar, out := countOut(W, g2.fixed, s2.mean, far), countOut(W, g2.fixed, s2.mean, s2.tol); nFar < bestFar || nFar == bestFar && out < bestOut {
			bestFar, bestOut, t, g, s, label, bestFixed = nFar, out, t2, g2, s2, l2, g2.fixed
		}
	}
	g.fixed = bestFixed // g0's may have been set for another count
	return t, g, s, label
}

// finishFresh turns the parts' shapes into grids after the locked ones
// (keeping previous codes where given), finishes the community and marks
// the grids made for one big building.
func finishFresh(c *bundle.Community, out []gridplan.Grid, geoms []orb.MultiPolygon, fixed []bool, keep []bundle.GridCode, mk func(orb.MultiPolygon) gridplan.Grid) (commResult, error) {
	var own []int // indices into out of the grids made for one big building
	for part, geom := range geoms {
		if len(geom) == 0 {
			continue
		}
		gr := mk(geom)
		if fixed[part] {
			own = append(own, len(out))
		}
		if keep != nil {
			gr.Code = keep[part]
		}
		out = append(out, gr)
	}
	cr, err := finish(c, out)
	if err == nil && len(own) > 0 {
		cr.own = make([]bool, len(cr.grids))
		for _, i := range own {
			cr.own[i] = true
		}
	}
	return cr, err
}

// finish numbers new grids and returns the community's grids; their
// households are counted once the whole plan is drawn (countHouseholds).
func finish(c *bundle.Community, grids []gridplan.Grid) (commResult, error) {
	if err := numberGrids(c, grids); err != nil {
		return commResult{}, err
	}
	return commResult{grids: grids}, nil
}

// placeBuildings gives each community job the buildings it holds by the
// one membership rule (geo.PolygonIndex's tie rule over the communities, as
// bundle check and /locate decide) and returns how many buildings lie in
// no community.
func placeBuildings(b *bundle.Bundle, jobs []commJob) (unplaced int, err error) {
	areas := make([]geo.Area, len(jobs))
	for i := range jobs {
		areas[i] = geo.Area{Code: string(jobs[i].comm.Code), Geom: jobs[i].comm.Geom}
	}
	idx, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return 0, err
	}
	for bi, bl := range b.Buildings {
		i, ok := idx.Locate(bl.Loc[0], bl.Loc[1])
		if !ok {
			unplaced++
			continue
		}
		jobs[i].buildings = append(jobs[i].buildings, bi)
	}
	return unplaced, nil
}

// countHouseholds counts each grid's households as /locate places the
// buildings: one geo.PolygonIndex over all grids in code order (the order
// dispatch indexes a plan in), so a building on an edge or vertex shared by
// grids counts in the grid the tie rule names, never in two and never in
// the first found. grids must be sorted by code. It returns each grid's
// largest building's households (the Report's outlier reasons).
func countHouseholds(b *bundle.Bundle, grids []gridplan.Grid) ([]int, error) {
	areas := make([]geo.Area, len(grids))
	for i := range grids {
		areas[i] = geo.Area{Code: string(grids[i].Code), Geom: grids[i].Geom}
		grids[i].Households = 0
	}
	idx, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return nil, err
	}
	largest := make([]int, len(grids))
	for _, bl := range b.Buildings {
		if i, ok := idx.Locate(bl.Loc[0], bl.Loc[1]); ok {
			grids[i].Households += bl.Households
			largest[i] = max(largest[i], bl.Households)
		}
	}
	return largest, nil
}

// numberGrids gives every grid without a code the next free sequence
// number in reading order of the grids' centroids: sorted north to south,
// a grid starts a new row when its centroid is more than half a typical
// grid side (√(community area / grids)) south of the first centroid of the
// current row; rows are read north to south and each row west to east.
// Grids that already have a code (locked, or kept from a previous plan)
// keep it.
func numberGrids(c *bundle.Community, grids []gridplan.Grid) error {
	used := map[int]bool{}
	var todo []int
	for i, g := range grids {
		if g.Code != "" {
			used[g.Code.Seq()] = true
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	half := math.Sqrt(geo.AreaM2(c.Geom)/float64(len(grids))) / 110540 / 2
	type key struct {
		row int
		ct  orb.Point
		i   int
	}
	keys := make([]key, len(todo))
	for n, i := range todo {
		ct, _ := planar.CentroidArea(grids[i].Geom)
		keys[n] = key{0, ct, i}
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].ct[1] > keys[b].ct[1] })
	row, top := 0, keys[0].ct[1]
	for n := range keys {
		if top-keys[n].ct[1] > half {
			row++
			top = keys[n].ct[1]
		}
		keys[n].row = row
	}
	sort.SliceStable(keys, func(a, b int) bool {
		if keys[a].row != keys[b].row {
			return keys[a].row < keys[b].row
		}
		return keys[a].ct[0] < keys[b].ct[0]
	})
	seq := 1
	for _, k := range keys {
		for used[seq] {
			seq++
		}
		code, err := bundle.NewGridCode(c.Code, seq)
		if err != nil {
			return err
		}
		grids[k.i].Code = code
		used[seq] = true
	}
	return nil
}

func newGraph(t *cellTable) *graph {
	g := &graph{}
	for i := range t.cells {
		if t.cells[i].inside {
			t.cells[i].node = int32(g.n)
			g.n++
		}
	}
	g.w = make([]int, g.n)
	g.adj = make([][]int32, g.n)
	// One backing array for every node's (at most six) real neighbours.
	backing := make([]int32, 6*g.n)
	for v := range g.adj {
		g.adj[v] = backing[6*v : 6*v : 6*v+6]
	}
	g.cyc = make([][6]int32, g.n)
	g.virt = make([]bool, g.n)
	g.pinned = make([]bool, g.n)
	g.pos = make([]orb.Point, g.n)
	g.mark = make([]int32, g.n)
	g.loc = make([]int32, g.n)
	for i := range t.cells {
		c := &t.cells[i]
		v := c.node
		if v < 0 {
			continue
		}
		coslat := math.Cos(c.center[1] * math.Pi / 180)
		g.pos[v] = orb.Point{c.center[0] * coslat * 111320, c.center[1] * 110540}
		for j := 0; j < 6; j++ {
			u := int32(-1)
			if n := c.nb[j]; n >= 0 {
				u = t.cells[n].node
			}
			g.cyc[v][j] = u
			if u >= 0 {
				g.adj[v] = append(g.adj[v], u)
			}
		}
	}
	g.t = t
	g.cells = make([]int32, g.n)
	for i := range t.cells {
		if n := t.cells[i].node; n >= 0 {
			g.cells[n] = int32(i)
		}
	}
	g.linkComponents()
	return g
}

// linkComponents joins the components of a multi-part community by virtual
// links between their closest nodes, so that grids can be shared among
// the parts.
func (g *graph) linkComponents() {
	comp := make([]int32, g.n)
	for i := range comp {
		comp[i] = -1
	}
	var comps [][]int32
	for s := 0; s < g.n; s++ {
		if comp[s] >= 0 {
			continue
		}
		id := int32(len(comps))
		members := []int32{int32(s)}
		comp[s] = id
		for q := 0; q < len(members); q++ {
			for _, u := range g.adj[members[q]] {
				if comp[u] < 0 {
					comp[u] = id
					members = append(members, u)
				}
			}
		}
		comps = append(comps, members)
	}
	if len(comps) < 2 {
		return
	}
	sort.SliceStable(comps, func(a, b int) bool { return len(comps[a]) > len(comps[b]) })
	joined := append([]int32(nil), comps[0]...)
	for _, cm := range comps[1:] {
		best, ba, bb := math.Inf(1), int32(-1), int32(-1)
		for _, a := range cm {
			for _, b := range joined {
				d := math.Hypot(g.pos[a][0]-g.pos[b][0], g.pos[a][1]-g.pos[b][1])
				if d < best {
					best, ba, bb = d, a, b
				}
			}
		}
		g.adj[ba] = append(g.adj[ba], bb)
		g.adj[bb] = append(g.adj[bb], ba)
		g.virt[ba], g.virt[bb] = true, true
		joined = append(joined, cm...)
	}
}

// warmLabels starts from a previous plan: a node goes to the previous grid
// holding its centre; parts are made connected, then split or merged until
// there are k. It returns the codes the parts keep ("" for new parts).
func (g *graph) warmLabels(rng *rand.Rand, t *cellTable, prev []gridplan.Grid, k int, mean float64) ([]int32, []bundle.GridCode) {
	label := make([]int32, g.n)
	bounds := make([]orb.Bound, len(prev))
	for i := range prev {
		bounds[i] = prev[i].Geom.Bound()
	}
	for i := range t.cells {
		c := &t.cells[i]
		if c.node < 0 {
			continue
		}
		label[c.node] = -1
		for pi := range prev {
			if bounds[pi].Contains(c.center) && planar.MultiPolygonContains(prev[pi].Geom, c.center) {
				label[c.node] = int32(pi)
				break
			}
		}
	}
	codes := make([]bundle.GridCode, len(prev))
	for i := range prev {
		codes[i] = prev[i].Code
	}
	np := len(prev)
	// Keep each part's largest component; the rest become unlabelled.
	for p := 0; p < np; p++ {
		g.keepLargest(label, int32(p))
	}
	g.fillUnlabelled(label)
	// Drop empty parts.
	count := make([]int, np)
	for _, l := range label {
		if l >= 0 {
			count[l]++
		}
	}
	remap := make([]int32, np)
	var kept []bundle.GridCode
	for p := 0; p < np; p++ {
		if count[p] == 0 {
			remap[p] = -1
			continue
		}
		remap[p] = int32(len(kept))
		kept = append(kept, codes[p])
	}
	for v := range label {
		if label[v] >= 0 {
			label[v] = remap[label[v]]
		} else {
			label[v] = 0
		}
	}
	codes = kept
	if len(codes) == 0 {
		return g.bisectAll(rng, k, mean), nil
	}
	for len(codes) < k {
		// Split the heaviest part in two.
		W := g.partWeights(label, len(codes))
		big := 0
		for p := range W {
			if W[p] > W[big] {
				big = p
			}
		}
		var members []int32
		for v := range label {
			if label[v] == int32(big) {
				members = append(members, int32(v))
			}
		}
		if len(members) < 2 {
			break
		}
		side := g.bestCut(rng, members, 1, 1, treesPerSplit)
		for i, v := range members {
			if !side[i] {
				label[v] = int32(len(codes))
			}
		}
		codes = append(codes, "")
	}
	for len(codes) > k {
		// Merge the lightest part into its lightest neighbour.
		W := g.partWeights(label, len(codes))
		small := 0
		for p := range W {
			if W[p] < W[small] {
				small = p
			}
		}
		nb := int32(-1)
		for v := range label {
			if label[v] != int32(small) {
				continue
			}
			for _, u := range g.adj[v] {
				if l := label[u]; l != int32(small) && (nb < 0 || W[l] < W[nb]) {
					nb = l
				}
			}
		}
		if nb < 0 {
			break
		}
		last := int32(len(codes) - 1)
		for v := range label {
			if label[v] == int32(small) {
				label[v] = nb
			}
		}
		// Move the last part into the freed slot.
		for v := range label {
			if label[v] == last {
				label[v] = int32(small)
			}
		}
		codes[small] = codes[last]
		codes = codes[:last]
	}
	if len(codes) != k {
		return g.bisectAll(rng, k, mean), nil
	}
	return label, codes
}

// worstDev is the largest relative deviation of a part from mean.
func (g *graph) worstDev(label []int32, k int, mean float64) float64 {
	w := 0.0
	for _, x := range g.partWeights(label, k) {
		w = math.Max(w, math.Abs(x-mean)/mean)
	}
	return w
}

func (g *graph) partWeights(label []int32, k int) []float64 {
	W := make([]float64, k)
	for v, l := range label {
		W[l] += float64(g.w[v])
	}
	return W
}

// keepLargest unlabels all but the largest component of part p.
func (g *graph) keepLargest(label []int32, p int32) {
	seen := map[int32]int{}
	var comps [][]int32
	for s := 0; s < g.n; s++ {
		if label[s] != p {
			continue
		}
		if _, ok := seen[int32(s)]; ok {
			continue
		}
		id := len(comps)
		members := []int32{int32(s)}
		seen[int32(s)] = id
		for q := 0; q < len(members); q++ {
			for _, u := range g.adj[members[q]] {
				if _, ok := seen[u]; !ok && label[u] == p {
					seen[u] = id
					members = append(members, u)
				}
			}
		}
		comps = append(comps, members)
	}
	if len(comps) < 2 {
		return
	}
	big := 0
	for i := range comps {
		if len(comps[i]) > len(comps[big]) {
			big = i
		}
	}
	for i, cm := range comps {
		if i == big {
			continue
		}
		for _, v := range cm {
			label[v] = -1
		}
	}
}

// fillUnlabelled gives unlabelled nodes the label of a labelled neighbour,
// breadth first.
func (g *graph) fillUnlabelled(label []int32) {
	var q []int32
	for v := range label {
		if label[v] >= 0 {
			q = append(q, int32(v))
		}
	}
	for i := 0; i < len(q); i++ {
		v := q[i]
		for _, u := range g.adj[v] {
			if label[u] < 0 {
				label[u] = label[v]
				q = append(q, u)
			}
		}
	}
}

// assignFringe gives every table cell an owner part: nodes their label,
// fringe cells the owner of a neighbour (breadth first), and cells no
// neighbour reaches the part of the nearest node.
func (t *cellTable) assignFringe(g *graph, label []int32) []int32 {
	owner := make([]int32, len(t.cells))
	var q []int32
	for i := range t.cells {
		owner[i] = -1
		if n := t.cells[i].node; n >= 0 {
			owner[i] = label[n]
			q = append(q, int32(i))
		}
	}
	for i := 0; i < len(q); i++ {
		c := &t.cells[q[i]]
		for _, n := range c.nb {
			if n >= 0 && owner[n] < 0 {
				owner[n] = owner[q[i]]
				q = append(q, n)
			}
		}
	}
	for i := range t.cells {
		if owner[i] >= 0 {
			continue
		}
		best, bd := int32(0), math.Inf(1)
		for _, j := range q[:g.n] {
			d := planar.Distance(t.cells[i].center, t.cells[j].center)
			if d < bd {
				best, bd = owner[j], d
			}
		}
		owner[i] = best
	}
	return owner
}

// gridGeoms builds each part's shape: the union of its cells, clipped by
// the region when one of its cells may cross the region's boundary.
//
// Grid borders have their zigzag corners cut where no building is in the
// way (cuttableCorners); pts are the community's buildings.
func gridGeoms(t *cellTable, owner []int32, k int, region orb.MultiPolygon, pts []orb.Point) ([]orb.MultiPolygon, error) {
	cut := t.cuttableCorners(owner, pts)
	members := make([][]int32, k)
	clip := make([]bool, k)
	for i, o := range owner {
		members[o] = append(members[o], int32(i))
		if t.cells[i].boundary || !t.cells[i].inside {
			clip[o] = true
		}
	}
	out := make([]orb.MultiPolygon, k)
	for p := 0; p < k; p++ {
		u := t.unionRings(owner, int32(p), members[p], cut)
		if !clip[p] {
			out[p] = u
			continue
		}
		x, err := cells.Clip(u, region)
		if err != nil {
			return nil, err
		}
		out[p] = x
	}
	return out, nil
}

func buildingPoints(b *bundle.Bundle, buildings []int) []orb.Point {
	pts := make([]orb.Point, len(buildings))
	for i, bi := range buildings {
		pts[i] = b.Buildings[bi].Loc
	}
	return pts
}

func dropSlivers(mp orb.MultiPolygon) orb.MultiPolygon { return cells.DropSlivers(mp) }

// repairParts gives every extra part of a grid (a piece cut off by the
// community boundary) to a neighbouring grid it shares an edge with, so
// that in a single-part community every grid is one polygon. The part
// kept is the one holding most households, then the largest.
func repairParts(geoms []orb.MultiPolygon, buildings []int, b *bundle.Bundle) []orb.MultiPolygon {
	for p := range geoms {
		if len(geoms[p]) < 2 {
			continue
		}
		keep, bestH, bestA := 0, -1, -1.0
		for i, poly := range geoms[p] {
			h := 0
			for _, bi := range buildings {
				if planar.PolygonContains(poly, b.Buildings[bi].Loc) {
					h += b.Buildings[bi].Households
				}
			}
			a := geo.AreaM2(poly)
			if h > bestH || h == bestH && a > bestA {
				keep, bestH, bestA = i, h, a
			}
		}
		var rest orb.MultiPolygon
		for i, poly := range geoms[p] {
			if i == keep {
				continue
			}
			moved := false
			for q := range geoms {
				if q == p || len(geoms[q]) == 0 {
					continue
				}
				if !poly.Bound().Pad(1e-9).Intersects(geoms[q].Bound()) {
					continue
				}
				u, err := sfgeom.Union(geoms[q], orb.MultiPolygon{poly})
				if err != nil || len(u) >= len(geoms[q])+1 {
					continue
				}
				geoms[q] = u
				moved = true
				break
			}
			if !moved {
				rest = append(rest, poly)
			}
		}
		geoms[p] = append(orb.MultiPolygon{geoms[p][keep]}, rest...)
	}
	return geoms
}
