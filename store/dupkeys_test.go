package store

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/geo"
)

// TestDuplicateKeysShared: two reports within DuplicateRadiusM of each
// other always share a lock key (so their duplicate checks are
// serialised), at any latitude the district could be at; and a report
// takes few keys.
func TestDuplicateKeysShared(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	total := 0
	const n = 20000
	for i := 0; i < n; i++ {
		lat := -60 + rng.Float64()*120
		a := orb.Point{-180 + rng.Float64()*360, lat}
		// b at up to the radius from a, in any direction.
		d := rng.Float64() * cases.DuplicateRadiusM
		th := rng.Float64() * 2 * math.Pi
		b := orb.Point{a[0] + d*math.Cos(th)/(111195*math.Cos(lat*math.Pi/180)), a[1] + d*math.Sin(th)/111195}
		if geo.DistanceM(a, b) > cases.DuplicateRadiusM {
			continue
		}
		ka, kb := duplicateKeys("c", a), duplicateKeys("c", b)
		total += len(ka)
		if len(ka) > 9 {
			t.Fatalf("%v takes %d keys", a, len(ka))
		}
		shared := false
		for _, x := range ka {
			for _, y := range kb {
				shared = shared || x == y
			}
		}
		if !shared {
			t.Fatalf("%v and %v (%.1f m apart) share no key: %v %v", a, b, geo.DistanceM(a, b), ka, kb)
		}
	}
	if mean := float64(total) / n; mean > 5 {
		t.Errorf("%.1f keys a report on average", mean)
	}
	if k := duplicateKeys("a", orb.Point{118.7, 32.1}); k[0][:6] != "dup:a:" {
		t.Errorf("keys %v", k)
	}
}
