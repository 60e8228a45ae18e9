package boxindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// brute is the definition: every bound that intersects q.
func brute(bounds []orb.Bound, q orb.Bound) []int {
	out := []int{}
	for i, b := range bounds {
		if finite(b) && b.Intersects(q) {
			out = append(out, i)
		}
	}
	return out
}

func randBounds(rng *rand.Rand, n int, size float64) []orb.Bound {
	out := make([]orb.Bound, n)
	for i := range out {
		x, y := 118+rng.Float64(), 31+rng.Float64()
		w, h := size*rng.Float64(), size*rng.Float64()
		if i%5 == 0 {
			w, h = 0, 0 // points
		}
		out[i] = orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
	}
	return out
}

func TestSearchMatchesBruteForce(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		size float64
	}{{"points and small boxes", 5000, 0.001}, {"large overlapping boxes", 800, 0.3}, {"few", 3, 0.1}, {"none", 0, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.n)))
			bounds := randBounds(rng, tc.n, tc.size)
			ix := New(bounds)
			if ix.Len() != tc.n {
				t.Fatalf("Len %d", ix.Len())
			}
			for q := 0; q < 300; q++ {
				x, y := 117.9+1.2*rng.Float64(), 30.9+1.2*rng.Float64()
				s := 0.2 * rng.Float64() * rng.Float64()
				qb := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + s, y + s}}
				got := ix.Search(qb, nil)
				want := brute(bounds, qb)
				if !slices.Equal(got, want) {
					t.Fatalf("query %v: %d hits, brute force %d", qb, len(got), len(want))
				}
				if c := ix.Count(qb); c != len(want) {
					t.Fatalf("Count %d, want %d", c, len(want))
				}
			}
		})
	}
}

func TestTouchingCounts(t *testing.T) {
	bounds := []orb.Bound{
		{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}},
		{Min: orb.Point{2, 2}, Max: orb.Point{2, 2}}, // a point
		{Min: orb.Point{math.NaN(), 0}, Max: orb.Point{1, 1}},
	}
	ix := New(bounds)
	for _, tc := range []struct {
		q    orb.Bound
		want []int
	}{
		{orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{2, 2}}, []int{0, 1}}, // shares a corner with 0, holds 1
		{orb.Bound{Min: orb.Point{1.5, 0}, Max: orb.Point{1.9, 3}}, nil},
		{orb.Bound{Min: orb.Point{-5, -5}, Max: orb.Point{5, 5}}, []int{0, 1}}, // NaN bound left out
	} {
		if got := ix.Search(tc.q, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.q, got, tc.want)
		}
	}
	if b := ix.Bound(); b.Min != (orb.Point{0, 0}) || b.Max != (orb.Point{2, 2}) {
		t.Errorf("bound %v", b)
	}
}

func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	bounds := randBounds(rng, 25000, 0.0005)
	ix := New(bounds)
	var dst []int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, y := 118+rng.Float64(), 31+rng.Float64()
		dst = ix.Search(orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 0.01, y + 0.01}}, dst[:0])
	}
}

func ExampleIndex_Search() {
	ix := New([]orb.Bound{
		{Min: orb.Point{118.60, 32.00}, Max: orb.Point{118.61, 32.01}},
		{Min: orb.Point{118.70, 32.10}, Max: orb.Point{118.70, 32.10}},
	})
	fmt.Println(ix.Search(orb.Bound{Min: orb.Point{118.605, 32.005}, Max: orb.Point{118.65, 32.05}}, nil))
	// Output: [0]
}
