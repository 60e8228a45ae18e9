package repair_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
)

// breaker makes deliberately broken copies of a clean bundle: each
// breakage is a "tent" pushed into or out of an edge of a community (or
// a street), or an edit of a ring's vertices, at a random place chosen
// from a logged seed.
type breaker struct {
	t    testing.TB
	rng  *rand.Rand
	b    *bundle.Bundle
	orig *bundle.Bundle
	used map[int]bool // communities already broken: one breakage each keeps them apart
	// mid is the midpoint of the edge the last tent was pushed into.
	mid orb.Point
	// streetPushes are where pushStreet pushed: a second push on the same
	// border (from the other street) would fill the first's gap with its
	// overlap and leave no sliver at all.
	streetPushes []orb.Point
}

func newBreaker(t testing.TB, b *bundle.Bundle, seed uint64) *breaker {
	cp := *b
	cp.District.Geom = b.District.Geom.Clone()
	cp.Streets = append([]bundle.Street(nil), b.Streets...)
	for i := range cp.Streets {
		cp.Streets[i].Geom = cp.Streets[i].Geom.Clone()
	}
	cp.Communities = append([]bundle.Community(nil), b.Communities...)
	for i := range cp.Communities {
		cp.Communities[i].Geom = cp.Communities[i].Geom.Clone()
	}
	return &breaker{t: t, rng: rand.New(rand.NewPCG(seed, 7)), b: &cp, orig: b, used: map[int]bool{}}
}

// metres per degree at lat.
func mpd(lat float64) (kx, ky float64) {
	ky = math.Pi / 180 * geo.EarthRadiusM
	return ky * math.Cos(lat*math.Pi/180), ky
}

func onAnyBoundary(p orb.Point, mp orb.MultiPolygon) bool {
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				dx, dy := b[0]-a[0], b[1]-a[1]
				t := math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/(dx*dx+dy*dy)))
				if math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy) < 1e-9 {
					return true
				}
			}
		}
	}
	return false
}

func (k *breaker) streetOf(c bundle.Community) orb.MultiPolygon {
	s, _ := k.b.Street(c.Street)
	return s.Geom
}

// edge picks a community not yet broken and an edge of its first
// polygon's shell at least minM long that lies on its street's boundary
// (onStreet) or not (shared with a neighbour).
func (k *breaker) edge(onStreet bool, minM float64) (ci, ei int) {
	for range 10000 {
		ci = k.rng.IntN(len(k.b.Communities))
		c := k.b.Communities[ci]
		if k.used[ci] || c.Kind == bundle.Virtual && !onStreet {
			continue
		}
		r := c.Geom[0][0]
		ei = k.rng.IntN(len(r) - 1)
		a, b := r[ei], r[ei+1]
		if geo.DistanceM(a, b) < minM {
			continue
		}
		m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		if onAnyBoundary(m, k.streetOf(c)) != onStreet || k.nextToUsed(m) {
			continue
		}
		k.used[ci] = true
		return ci, ei
	}
	k.t.Fatalf("no edge found (onStreet %v, ≥ %.0f m)", onStreet, minM)
	return 0, 0
}

// nextToUsed: m is on the boundary of a community broken already (so
// two breakages never meet on one shared edge).
func (k *breaker) nextToUsed(m orb.Point) bool {
	for ci := range k.used {
		if onAnyBoundary(m, k.orig.Communities[ci].Geom) {
			return true
		}
	}
	return false
}

// tent replaces edge ei of ring r by a tent whose base is at most baseM
// long (centred on the edge) and whose tip is pushed dM metres outward
// (dM > 0; the ring's own outside) or inward (dM < 0). It returns the
// tip and the tent's area in m².
func tent(r orb.Ring, ei int, baseM, dM float64) (orb.Ring, orb.Point, float64) {
	a, b := r[ei], r[ei+1]
	kx, ky := mpd(a[1])
	ex, ey := (b[0]-a[0])*kx, (b[1]-a[1])*ky
	l := math.Hypot(ex, ey)
	ux, uy := ex/l, ey/l
	half := math.Min(baseM, l*0.8) / 2
	mx, my := (a[0]+b[0])/2, (a[1]+b[1])/2
	// Outward is to the right of the walk for a counter-clockwise ring.
	ccw := 0.0
	for i := 0; i+1 < len(r); i++ {
		ccw += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	nx, ny := uy, -ux
	if ccw < 0 {
		nx, ny = -nx, -ny
	}
	p0 := orb.Point{mx - ux*half/kx, my - uy*half/ky}
	p1 := orb.Point{mx + ux*half/kx, my + uy*half/ky}
	tip := orb.Point{mx + nx*dM/kx, my + ny*dM/ky}
	out := append(orb.Ring(nil), r[:ei+1]...)
	out = append(out, p0, tip, p1)
	out = append(out, r[ei+1:]...)
	return out, tip, math.Abs(dM) * half
}

// pushCommunity tents an edge of a community: outward on a shared edge is
// an overlap with the neighbour, inward a gap, outward on the street's
// boundary an overhang.
func (k *breaker) pushCommunity(what string, onStreet bool, baseM, dM float64) (int, orb.Point, float64) {
	ci, ei := k.edge(onStreet, baseM/0.8)
	c := &k.b.Communities[ci]
	e := c.Geom[0][0]
	k.mid = orb.Point{(e[ei][0] + e[ei+1][0]) / 2, (e[ei][1] + e[ei+1][1]) / 2}
	r, tip, a := tent(c.Geom[0][0], ei, baseM, dM)
	c.Geom[0][0] = r
	k.t.Logf("%s: community %d (%s) edge %d, %.0f m² at (%.6f, %.6f)", what, ci, c.Code, ei, a, tip[0], tip[1])
	return ci, tip, a
}

// spike inserts an exact spike (out and back along one line) of lenM
// metres at a vertex of a community, pointing outward.
func (k *breaker) spike(lenM float64, sharp bool) int {
	ci, ei := k.edge(false, 30)
	c := &k.b.Communities[ci]
	r := c.Geom[0][0]
	rr, tip, _ := tent(r, ei, 0, lenM) // a tent of zero base: p0 = p1 = the midpoint
	if sharp {
		// turn the way back by a fraction of a degree: a sharp, not exact, spike
		kx, ky := mpd(tip[1])
		p1 := rr[ei+3]
		dx, dy := (p1[0]-tip[0])*kx, (p1[1]-tip[1])*ky
		rr[ei+3] = orb.Point{p1[0] - dy*0.004/kx, p1[1] + dx*0.004/ky}
	}
	c.Geom[0][0] = rr
	k.t.Logf("spike (sharp %v): community %d (%s), tip (%.6f, %.6f)", sharp, ci, c.Code, tip[0], tip[1])
	return ci
}

// repeat doubles n vertices of a community's shell.
func (k *breaker) repeat(n int) int {
	ci, _ := k.edge(false, 1)
	c := &k.b.Communities[ci]
	r := c.Geom[0][0]
	for range n {
		i := 1 + k.rng.IntN(len(r)-2)
		r = append(r[:i+1], r[i:]...)
	}
	c.Geom[0][0] = r
	k.t.Logf("repeated points: community %d (%s), %d", ci, c.Code, n)
	return ci
}

// twist replaces the middle of a shared edge by a small crossing: from
// 2sM before the midpoint the ring runs to sM past it, dM outward, back
// to sM before it and on to 2sM past it, crossing itself once; the loop
// beyond the crossing is a small triangle outside the edge.
func (k *breaker) twist(sM, dM float64) int {
	ci, ei := k.edge(false, 4*sM)
	c := &k.b.Communities[ci]
	r := c.Geom[0][0]
	a, b := r[ei], r[ei+1]
	kx, ky := mpd(a[1])
	ex, ey := (b[0]-a[0])*kx, (b[1]-a[1])*ky
	l := math.Hypot(ex, ey)
	ux, uy := ex/l, ey/l
	ccw := 0.0
	for i := 0; i+1 < len(r); i++ {
		ccw += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	nx, ny := uy, -ux
	if ccw < 0 {
		nx, ny = -nx, -ny
	}
	mx, my := (a[0]+b[0])/2, (a[1]+b[1])/2
	at := func(along, off float64) orb.Point {
		return orb.Point{mx + (ux*along+nx*off)/kx, my + (uy*along+ny*off)/ky}
	}
	out := append(orb.Ring(nil), r[:ei+1]...)
	out = append(out, at(-2*sM, 0), at(sM, dM), at(-sM, dM), at(2*sM, 0))
	c.Geom[0][0] = append(out, r[ei+1:]...)
	k.t.Logf("self-intersection: community %d (%s) edge %d at (%.6f, %.6f)", ci, c.Code, ei, mx, my)
	return ci
}

// pushStreet tents an edge a street shares with another street (not on
// the district's outline): inward (dM < 0) a gap between the streets,
// outward an overlap.
// nearStreetPush: p lies within 2 × baseM of an earlier street push.
func (k *breaker) nearStreetPush(p orb.Point, baseM float64) bool {
	for _, q := range k.streetPushes {
		if geo.DistanceM(p, q) < 2*baseM {
			return true
		}
	}
	return false
}

func (k *breaker) pushStreet(what string, baseM, dM float64) int {
	for range 10000 {
		si := k.rng.IntN(len(k.b.Streets))
		r := k.b.Streets[si].Geom[0][0]
		ei := k.rng.IntN(len(r) - 1)
		a, b := r[ei], r[ei+1]
		if geo.DistanceM(a, b) < baseM/0.8 {
			continue
		}
		m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		if onAnyBoundary(m, k.b.District.Geom) || k.nearStreetPush(m, baseM) {
			continue
		}
		k.streetPushes = append(k.streetPushes, m)
		rr, tip, area := tent(r, ei, baseM, dM)
		k.b.Streets[si].Geom[0][0] = rr
		k.t.Logf("%s: street %d (%s) edge %d, %.0f m² at (%.6f, %.6f)", what, si, k.b.Streets[si].Code, ei, area, tip[0], tip[1])
		return si
	}
	k.t.Fatalf("no shared street edge of ≥ %.0f m", baseM/0.8)
	return 0
}
