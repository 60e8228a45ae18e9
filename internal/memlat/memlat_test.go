package memlat

import (
	"fmt"
	"math/rand"
	"testing"
)

var sink uint64

// BenchmarkDependentLoad: each load's address depends on the previous
// load's value, over 65,536 random positions (as many as the geo
// benchmarks' points) in arrays of 1 to 128 MB.
func BenchmarkDependentLoad(b *testing.B) {
	for _, mb := range []int{1, 4, 8, 12, 16, 32, 64, 128} {
		n := mb << 20 / 8
		a := make([]uint64, n)
		for i := range a {
			a[i] = uint64(i) // touch every page: untouched ones all map the zero page
		}
		rng := rand.New(rand.NewSource(1))
		idx := make([]uint32, 1<<16)
		for i := range idx {
			idx[i] = uint32(rng.Intn(n))
		}
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			var s uint64
			for i := 0; b.Loop(); i++ {
				s = a[(uint64(idx[i&(1<<16-1)])+s&1)%uint64(n)]
			}
			sink = s
		})
	}
}
