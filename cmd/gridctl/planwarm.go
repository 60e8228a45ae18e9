package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// warmFlags are gridctl plan's warm-start flags (issue 14): --previous
// PLAN (a plan GeoJSON to start from), --locked CODES (grids of it kept
// as they are) and --community CODES (re-plan only those communities;
// the other grids of PLAN are kept).
type warmFlags struct {
	previous, locked, community string
}

// warmPlan is the outcome of warmFlags: the params' Previous and Locked,
// the bundle to plan (only the named communities with their buildings,
// when --community is given) and the grids kept from the previous plan
// outside those communities.
type warmPlan struct {
	b    *bundle.Bundle
	kept []gridplan.Grid
}

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// apply reads the previous plan and sets p.Previous and p.Locked; with
// --community it narrows b to those communities.
func (w warmFlags) apply(b *bundle.Bundle, p *gridplan.Params) (*warmPlan, error) {
	out := &warmPlan{b: b}
	if w.previous == "" {
		if w.locked != "" || w.community != "" {
			return nil, fmt.Errorf("%w: --locked and --community need --previous PLAN", errUsage)
		}
		return out, nil
	}
	f, err := os.Open(w.previous)
	if err != nil {
		return nil, fmt.Errorf("--previous: %w", err)
	}
	defer f.Close()
	prev, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		return nil, fmt.Errorf("--previous %s: %w", w.previous, err)
	}
	byCode := map[bundle.GridCode]bool{}
	for _, g := range prev {
		byCode[g.Code] = true
	}
	locked := map[bundle.GridCode]bool{}
	for _, c := range splitCodes(w.locked) {
		if !byCode[bundle.GridCode(c)] {
			return nil, fmt.Errorf("%w: --locked: grid %q is not in %s", errUsage, c, w.previous)
		}
		locked[bundle.GridCode(c)] = true
	}
	only := map[bundle.CommunityCode]bool{}
	for _, c := range splitCodes(w.community) {
		if _, ok := b.Community(bundle.CommunityCode(c)); !ok {
			return nil, fmt.Errorf("%w: --community: %q is not a community of the bundle", errUsage, c)
		}
		only[bundle.CommunityCode(c)] = true
	}
	for _, g := range prev {
		if len(only) > 0 && !only[g.Community] {
			out.kept = append(out.kept, g)
			continue
		}
		if locked[g.Code] {
			g.Locked = true
			p.Locked = append(p.Locked, g)
		} else {
			p.Previous = append(p.Previous, g)
		}
	}
	if len(only) > 0 {
		out.b = narrow(b, only)
	}
	return out, nil
}

// narrow is b with only the communities in only and the buildings
// /locate's rule puts in them.
func narrow(b *bundle.Bundle, only map[bundle.CommunityCode]bool) *bundle.Bundle {
	nb := *b
	nb.Communities = nil
	var areas []geo.Area
	for _, c := range b.Communities {
		areas = append(areas, geo.Area{Code: string(c.Code), Geom: c.Geom})
		if only[c.Code] {
			nb.Communities = append(nb.Communities, c)
		}
	}
	nb.Buildings = nil
	ix, err := geo.NewPolygonIndex(areas)
	if err != nil {
		return &nb // the partitioner reports the broken community
	}
	for _, bl := range b.Buildings {
		if k, ok := ix.Locate(bl.Loc[0], bl.Loc[1]); ok && only[bundle.CommunityCode(ix.Area(k).Code)] {
			nb.Buildings = append(nb.Buildings, bl)
		}
	}
	return &nb
}

// merge is the planned grids with the kept ones, in code order.
func (w *warmPlan) merge(grids []gridplan.Grid) []gridplan.Grid {
	out := append(append([]gridplan.Grid(nil), w.kept...), grids...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
