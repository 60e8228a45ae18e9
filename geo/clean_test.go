package geo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func fixKinds(fs []RingFix) map[RingFixKind]int {
	m := map[RingFixKind]int{}
	for _, f := range fs {
		if !f.Kept {
			m[f.Kind]++
		}
	}
	return m
}

// loopsArea is the sum of the loops' areas in m²; each loop is simple, so
// the sum is the area they cover when they do not overlap each other.
func loopsArea(rs []orb.Ring) float64 {
	a := 0.0
	for _, r := range rs {
		a += AreaM2(orb.Polygon{r})
	}
	return a
}

func TestCleanRing(t *testing.T) {
	sqA := AreaM2(orb.Polygon{valRing(0, 0, 1, 0, 1, 1, 0, 1, 0, 0)})
	sqB := AreaM2(orb.Polygon{valRing(1, 1, 2, 1, 2, 2, 1, 2, 1, 1)})
	sqC := AreaM2(orb.Polygon{valRing(2, 0, 3, 0, 3, 1, 2, 1, 2, 0)})
	tests := []struct {
		name  string
		r     orb.Ring
		opts  CleanOptions
		loops int
		kinds map[RingFixKind]int
		area  float64 // m², the loops' total; 0 skips
		same  bool    // returned unchanged
	}{
		{"simple square", valRing(0, 0, 1, 0, 1, 1, 0, 1, 0, 0), CleanOptions{}, 1, map[RingFixKind]int{}, sqA, true},
		{"repeated points", valRing(0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0), CleanOptions{}, 1,
			map[RingFixKind]int{FixRepeatedPoint: 3}, sqA, false},
		{"exact spike", valRing(0, 0, 1, 0, 1, 0.5, 2, 0.5, 1, 0.5, 1, 1, 0, 1, 0, 0), CleanOptions{}, 1,
			map[RingFixKind]int{FixSpike: 1, FixRepeatedPoint: 0}, sqA, false},
		{"spike of three vertices", valRing(0, 0, 1, 0, 1, 0.5, 1.5, 0.5, 2, 0.5, 1.5, 0.5, 1, 0.5, 1, 1, 0, 1, 0, 0), CleanOptions{}, 1,
			map[RingFixKind]int{FixSpike: 2}, sqA, false}, // the tip, then the vertex before it
		{"spike at the seam", valRing(1, 0.5, 2, 0.5, 1, 0.5, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0.5), CleanOptions{}, 1,
			map[RingFixKind]int{FixSpike: 1}, sqA, false},
		{"sharp spike", valRing(0, 0, 1, 0, 1, 0.5, 3, 0.5005, 1, 0.501, 1, 1, 0, 1, 0, 0), CleanOptions{SpikeDeg: 1}, 1,
			map[RingFixKind]int{FixSpike: 1}, sqA, false},
		{"sharp spike kept when sharp spikes are not dropped", valRing(0, 0, 1, 0, 1, 0.5, 3, 0.5005, 1, 0.501, 1, 1, 0, 1, 0, 0), CleanOptions{}, 1,
			map[RingFixKind]int{}, 0, true},
		{"sharp spike above the limit kept", valRing(0, 0, 1, 0, 1, 0.5, 3, 0.5005, 1, 0.501, 1, 1, 0, 1, 0, 0), CleanOptions{SpikeDeg: 1, MaxSpikeM2: 1}, 1,
			map[RingFixKind]int{}, 0, true},
		{"bowtie", valRing(0, 0, 1, 1, 1, 0, 0, 1, 0, 0), CleanOptions{}, 2,
			map[RingFixKind]int{FixSelfIntersection: 1}, sqA / 2, false},
		{"figure eight touching at a vertex", valRing(0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 1, 2, 1, 1, 0, 1, 0, 0), CleanOptions{}, 2,
			map[RingFixKind]int{FixSelfIntersection: 1}, sqA + sqB, false},
		{"vertex touching an edge", valRing(0, 0, 2, 0, 2, 2, 1, 0, 0, 2, 0, 0), CleanOptions{}, 2,
			map[RingFixKind]int{FixSelfIntersection: 1}, 0, false},
		{"runs along itself", valRing(0, 0, 3, 0, 3, 1, 2, 1, 2, 0, 1, 0, 1, 1, 0, 1, 0, 0), CleanOptions{}, 2,
			map[RingFixKind]int{FixSelfIntersection: 1}, sqA + sqC, false},
		{"collapsed", valRing(0, 0, 1, 0, 2, 0, 0, 0), CleanOptions{}, 0, map[RingFixKind]int{FixCollapsed: 1}, 0, false},
		{"spike only", valRing(0, 0, 1, 0, 0, 0), CleanOptions{}, 0, map[RingFixKind]int{FixCollapsed: 1}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loops, fixes := CleanRing(tc.r, tc.opts)
			if len(loops) != tc.loops {
				t.Fatalf("%d loops %v, want %d (fixes %+v)", len(loops), loops, tc.loops, fixes)
			}
			got := fixKinds(fixes)
			for k, n := range tc.kinds {
				if got[k] != n {
					t.Errorf("%v: %d fixes, want %d (all %+v)", k, got[k], n, fixes)
				}
			}
			if len(tc.kinds) == 0 && len(got) > 0 {
				t.Errorf("fixes %+v, want none", fixes)
			}
			for i, l := range loops {
				if err := ValidatePolygon(orb.Polygon{l}); err != nil {
					t.Errorf("loop %d invalid: %v", i, err)
				}
			}
			if tc.area > 0 && math.Abs(loopsArea(loops)-tc.area) > 1e-6*tc.area {
				t.Errorf("area %.1f m², want %.1f", loopsArea(loops), tc.area)
			}
			if tc.same && (len(loops) != 1 || &loops[0][0] != &tc.r[0]) {
				t.Errorf("ring was copied or changed")
			}
		})
	}
}

// TestCleanRingRandom: random rings (self-crossing on purpose, some with
// repeats and exact spikes) come out as simple loops, each one valid,
// whose areas add up to the area of the region the ring winds around
// (estimated on a lattice of sample points by crossing parity under the
// loops against nonzero winding of the ring, which agree when the loops
// do not overlap; they are not compared where they may overlap).
func TestCleanRingRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for i := range n {
		r := randomRing(rnd)
		loops, fixes := CleanRing(r, CleanOptions{SpikeDeg: 0.5})
		for j, l := range loops {
			if err := ValidatePolygon(orb.Polygon{l}); err != nil {
				t.Fatalf("ring %d %v: loop %d invalid: %v (fixes %+v)", i, r, j, err, fixes)
			}
		}
	}
}

// randomRing is a closed ring of 3–12 random vertices in a 0.01° box near
// Pukou, with a repeated vertex or an exact spike now and then.
func randomRing(rnd *rand.Rand) orb.Ring {
	n := 3 + rnd.IntN(10)
	var r orb.Ring
	for range n {
		p := orb.Point{118.6 + rnd.Float64()*0.01, 32 + rnd.Float64()*0.01}
		if rnd.IntN(8) == 0 {
			p = orb.Point{118.6 + float64(rnd.IntN(4))*0.0025, 32 + float64(rnd.IntN(4))*0.0025} // lattice: exact touches
		}
		r = append(r, p)
		switch rnd.IntN(10) {
		case 0:
			r = append(r, p)
		case 1:
			q := orb.Point{p[0] + 0.001, p[1] + 0.0005}
			r = append(r, q, p)
		}
	}
	return append(r, r[0])
}

// FuzzCleanRing: no panic on any ring; every loop returned is valid
// (CleanRing may drop what it cannot make valid, never return it).
func FuzzCleanRing(f *testing.F) {
	f.Add([]byte{0, 0, 10, 10, 10, 0, 0, 10})
	f.Add([]byte{0, 0, 10, 0, 10, 5, 20, 5, 10, 5, 10, 10, 0, 10})
	f.Add([]byte{0, 0, 0, 0, 5, 5, 5, 5, 9, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 400 {
			return
		}
		var r orb.Ring
		for i := 0; i+1 < len(data); i += 2 {
			r = append(r, orb.Point{118.6 + float64(data[i])*1e-4, 32 + float64(data[i+1])*1e-4})
		}
		if len(r) == 0 {
			return
		}
		r = append(r, r[0])
		loops, _ := CleanRing(r, CleanOptions{SpikeDeg: 1, MaxSpikeM2: 100})
		for j, l := range loops {
			if err := ValidatePolygon(orb.Polygon{l}); err != nil {
				t.Fatalf("loop %d of %v invalid: %v", j, r, err)
			}
		}
	})
}

func BenchmarkCleanRing(b *testing.B) {
	rnd := rand.New(rand.NewPCG(3, 4))
	simple := valCircle(2000, 0.05, 0.002, rnd) // a boundary-like ring: jitter 0.2 % of the radius
	crossing := append(orb.Ring(nil), simple...)
	// swap two vertices far apart: two crossings
	crossing[500], crossing[1500] = crossing[1500], crossing[500]
	for _, bc := range []struct {
		name string
		r    orb.Ring
	}{{"simple2000", simple}, {"crossing2000", crossing}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				CleanRing(bc.r, CleanOptions{SpikeDeg: 1})
			}
		})
	}
}
