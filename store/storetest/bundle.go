package storetest

import (
	"fmt"
	"math/rand"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// SmallBundle builds a small, valid district from seed: two streets of
// three communities each (quadrilaterals with slanted sides, so that bbox
// answers differ from envelope answers), buildings inside the communities,
// one work station per community, two patrols per street.
func SmallBundle(seed int64) *bundle.Bundle {
	rng := rand.New(rand.NewSource(seed))
	const x0, y0, w, h = 118.60, 32.00, 0.06, 0.09
	b := &bundle.Bundle{District: bundle.District{Code: "320111", Name: "测试区",
		Geom: orb.MultiPolygon{rect(x0, y0, x0+2*w, y0+h)}}}
	b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Centre, Code: "320111C", Name: "指挥中心", Loc: orb.Point{x0 + w, y0 + h/2}})
	for s := 0; s < 2; s++ {
		sc := bundle.StreetCode(fmt.Sprintf("320111%03d", s+1))
		sx := x0 + float64(s)*w
		b.Streets = append(b.Streets, bundle.Street{Code: sc, Name: fmt.Sprintf("街道%d", s+1), Geom: orb.MultiPolygon{rect(sx, y0, sx+w, y0+h)}})
		b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Subcentre, Code: string(sc) + "S", Name: fmt.Sprintf("分中心%d", s+1), Street: sc, Loc: orb.Point{sx + w/2, y0 + h/2}})
		// Three bands split by lines that slope across the street.
		cut := []float64{0, h / 3, 2 * h / 3, h}
		slope := 0.01
		for c := 0; c < 3; c++ {
			cc := bundle.CommunityCode(fmt.Sprintf("%s%03d", sc, c+1))
			lo, hi := cut[c], cut[c+1]
			dlo, dhi := slope, slope
			if c == 0 {
				dlo = 0
			}
			if c == 2 {
				dhi = 0
			}
			ring := orb.Ring{{sx, y0 + lo}, {sx + w, y0 + lo + dlo}, {sx + w, y0 + hi + dhi}, {sx, y0 + hi}, {sx, y0 + lo}}
			kind := bundle.Urban
			if c == 2 {
				kind = bundle.Rural
			}
			poly := orb.Polygon{ring}
			b.Communities = append(b.Communities, bundle.Community{Code: cc, Name: fmt.Sprintf("社区%d-%d", s+1, c+1), Street: sc, Kind: kind, Geom: orb.MultiPolygon{poly}})
			b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Workstation, Code: string(cc) + "W", Name: fmt.Sprintf("工作站%d-%d", s+1, c+1),
				Street: sc, Community: cc, Loc: interiorPoint(rng, poly)})
			b.Workers = append(b.Workers, bundle.Worker{ID: fmt.Sprintf("W%s", cc), Name: fmt.Sprintf("网格员%d-%d", s+1, c+1), Community: cc})
			for i := 0; i < 40; i++ {
				b.Buildings = append(b.Buildings, bundle.Building{ID: smallBuildingID(len(b.Buildings) + 1), Loc: interiorPoint(rng, poly),
					Households: 5 + rng.Intn(60), Address: fmt.Sprintf("测试路%d号", len(b.Buildings)+1)})
			}
		}
		for p := 0; p < 2; p++ {
			b.Patrols = append(b.Patrols, bundle.Patrol{ID: fmt.Sprintf("P%d%d", s+1, p+1), Callsign: fmt.Sprintf("巡逻%d-%d", s+1, p+1),
				Street: sc, Loc: orb.Point{sx + w*(0.3+0.4*float64(p)), y0 + h*0.5}})
		}
	}
	b.Departments = []bundle.Department{{Code: "police", Name: "公安"}, {Code: "urban", Name: "城管"}, {Code: "water", Name: "水务"}}
	return b
}

func rect(x1, y1, x2, y2 float64) orb.Polygon {
	return orb.Polygon{{{x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}, {x1, y1}}}
}

func interiorPoint(rng *rand.Rand, p orb.Polygon) orb.Point {
	bd := p.Bound()
	for {
		pt := orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
		if planar.PolygonContains(p, pt) {
			return pt
		}
	}
}

// CommunityGrids makes a plan's grids from b: one grid a community with the
// community's geometry and households (the tests need plans before the real
// partitioner is available, and any valid grid set exercises the stores).
func CommunityGrids(b *bundle.Bundle) []gridplan.Grid {
	var grids []gridplan.Grid
	for _, c := range b.Communities {
		code, err := bundle.NewGridCode(c.Code, 1)
		if err != nil {
			continue
		}
		hh := 0
		for _, bl := range b.Buildings {
			if planar.MultiPolygonContains(c.Geom, bl.Loc) {
				hh += bl.Households
			}
		}
		target := 500
		if c.Kind == bundle.Rural {
			target = 300
		}
		grids = append(grids, gridplan.Grid{Code: code, Community: c.Code, Street: c.Street, Kind: c.Kind, Households: hh, Target: target, Geom: c.Geom})
	}
	return grids
}

// smallBuildingID gives SmallBundle's buildings ids in the formats sources
// use, kept as given: plain numbers, B-prefixed alphanumeric codes, and
// 20-digit standard address codes (beyond int64, with a leading zero
// after the prefix that a number would lose).
func smallBuildingID(n int) bundle.BuildingID {
	switch n % 3 {
	case 0:
		return bundle.BuildingID(fmt.Sprintf("B%07d", n))
	case 1:
		return bundle.BuildingID(fmt.Sprintf("9320111001%010d", n))
	}
	return bundle.BuildingID(strconv.Itoa(n))
}
