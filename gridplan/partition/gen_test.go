package partition_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
)

// genBundle makes a small district of two islands (a MultiPolygon): the
// west island holds four communities, one of them L-shaped with a lake
// (a hole) and one a rural village; the east island holds two; and one
// community has a part on each island. Buildings are random, with a dense
// cluster, and their households random. It is the second bundle the
// quality tests run on, besides Pukou.
func genBundle(seed int64) *bundle.Bundle {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	rect := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	// West island: [118.60, 118.64] × [32.00, 32.03]; east island:
	// [118.66, 118.69] × [32.00, 32.03] (about 3.8 × 3.3 km and 2.8 km).
	lake := orb.Ring{{118.606, 32.004}, {118.606, 32.008}, {118.610, 32.008}, {118.610, 32.004}, {118.606, 32.004}}
	type comm struct {
		code  bundle.CommunityCode
		kind  bundle.Kind
		geom  orb.MultiPolygon
		homes int // total households wanted
	}
	comms := []comm{
		// L-shape with a lake.
		{"320999001001", bundle.Urban, orb.MultiPolygon{{
			{{118.60, 32.00}, {118.62, 32.00}, {118.62, 32.012}, {118.612, 32.012}, {118.612, 32.015}, {118.60, 32.015}, {118.60, 32.00}},
			lake}}, 3300},
		{"320999001002", bundle.Urban, orb.MultiPolygon{{
			{{118.62, 32.00}, {118.64, 32.00}, {118.64, 32.015}, {118.62, 32.015}, {118.62, 32.012}, {118.62, 32.00}}}}, 2400},
		{"320999001003", bundle.Rural, orb.MultiPolygon{{
			{{118.60, 32.015}, {118.612, 32.015}, {118.612, 32.012}, {118.62, 32.012}, {118.62, 32.015}, {118.62, 32.03}, {118.60, 32.03}, {118.60, 32.015}}}}, 1250},
		// Two parts: the north-east of the west island and the south of the east one.
		{"320999001004", bundle.Urban, orb.MultiPolygon{
			{rect(118.62, 32.015, 118.64, 32.03)},
			{rect(118.66, 32.00, 118.69, 32.008)}}, 2900},
		{"320999002001", bundle.Urban, orb.MultiPolygon{{rect(118.66, 32.008, 118.69, 32.02)}}, 3600},
		// No households at all: one grid.
		{"320999002002", bundle.Virtual, orb.MultiPolygon{{rect(118.66, 32.02, 118.69, 32.03)}}, 0},
	}
	b := &bundle.Bundle{
		District: bundle.District{Code: "320999", Name: "Two Islands", Geom: orb.MultiPolygon{
			{rect(118.60, 32.00, 118.64, 32.03)}, {rect(118.66, 32.00, 118.69, 32.03)}}},
		Streets: []bundle.Street{
			{Code: "320999001", Name: "West", Geom: orb.MultiPolygon{{rect(118.60, 32.00, 118.64, 32.03)}, {rect(118.66, 32.00, 118.69, 32.008)}}},
			{Code: "320999002", Name: "East", Geom: orb.MultiPolygon{{rect(118.66, 32.008, 118.69, 32.03)}}},
		},
	}
	id := int64(1)
	for _, c := range comms {
		b.Communities = append(b.Communities, bundle.Community{Code: c.code, Name: string(c.code), Street: c.code.Street(), Kind: c.kind, Geom: c.geom})
		bd := c.geom.Bound()
		// A dense cluster somewhere, and scattered buildings elsewhere.
		cx := bd.Min[0] + (0.2+0.6*rng.Float64())*(bd.Max[0]-bd.Min[0])
		cy := bd.Min[1] + (0.2+0.6*rng.Float64())*(bd.Max[1]-bd.Min[1])
		left := c.homes
		for left > 0 {
			var p orb.Point
			for {
				if rng.IntN(3) == 0 {
					p = orb.Point{cx + rng.NormFloat64()*0.002, cy + rng.NormFloat64()*0.002}
				} else {
					p = orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
				}
				if planar.MultiPolygonContains(c.geom, p) {
					break
				}
			}
			h := 8 + rng.IntN(60)
			if h > left {
				h = left
			}
			left -= h
			b.Buildings = append(b.Buildings, bundle.Building{ID: addrID(id), Loc: round7(p), Households: h, Address: fmt.Sprintf("Test Road %d", id)})
			id++
		}
	}
	// One tower with more households than a grid may hold: it must become
	// a grid of its own (in 320999002001, in the middle of the community).
	b.Buildings = append(b.Buildings, bundle.Building{ID: addrID(id), Loc: orb.Point{118.6751, 32.0141}, Households: bigTower, Address: "Tower Road 1"})
	return b
}

// bigTower is the households of genBundle's too-big building.
const bigTower = 900

func round7(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
}

// scaled returns a copy of b with its households scaled by f: for f < 1
// every 1/f-th building is kept; for f > 1 each building is repeated f
// times a few metres apart (inside the same community).
func scaled(b *bundle.Bundle, f float64, seed int64) *bundle.Bundle {
	out := *b
	out.Buildings = nil
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	if f < 1 {
		step := int(math.Round(1 / f))
		for i := 0; i < len(b.Buildings); i += step {
			out.Buildings = append(out.Buildings, b.Buildings[i])
		}
		return &out
	}
	n := int(math.Round(f))
	for _, bl := range b.Buildings {
		var comm orb.MultiPolygon
		for _, c := range b.Communities {
			if planar.MultiPolygonContains(c.Geom, bl.Loc) {
				comm = c.Geom
				break
			}
		}
		for j := 0; j < n; j++ {
			c := bl
			c.ID = bundle.BuildingID(fmt.Sprintf("%s-%d", bl.ID, j))
			if j > 0 && comm != nil {
				p := orb.Point{bl.Loc[0] + (rng.Float64()-0.5)*0.0006, bl.Loc[1] + (rng.Float64()-0.5)*0.0006}
				if planar.MultiPolygonContains(comm, p) {
					c.Loc = p
				}
			}
			out.Buildings = append(out.Buildings, c)
		}
	}
	return &out
}

// grown returns a copy of b with about 5% more households, added one at a
// time to random buildings.
func grown(b *bundle.Bundle, seed int64) *bundle.Bundle {
	out := *b
	out.Buildings = append([]bundle.Building(nil), b.Buildings...)
	rng := rand.New(rand.NewPCG(uint64(seed), 13))
	add := b.Households() / 20
	for i := 0; i < add; i++ {
		out.Buildings[rng.IntN(len(out.Buildings))].Households++
	}
	return &out
}

// addrID is a 20-digit standard address code (beyond int64) for building n.
func addrID(n int64) bundle.BuildingID {
	return bundle.BuildingID(fmt.Sprintf("32099900100%09d", n))
}
