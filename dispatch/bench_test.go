package dispatch

import (
	"testing"
)

// BenchmarkLocate measures Directory.Locate on the Pukou bundle (and plan
// when committed) at building locations, against the bare geo index lookup
// in the same run: the difference is what the Directory adds.
//
//	go test -run '^$' -bench Locate -benchmem ./dispatch
func BenchmarkLocate(b *testing.B) {
	bun, grids := pukou(b)
	d, err := NewDirectory(bun, grids, nil)
	if err != nil {
		b.Fatal(err)
	}
	pts := make([][2]float64, len(bun.Buildings))
	for i, bl := range bun.Buildings {
		pts[i] = [2]float64{bl.Loc[0], bl.Loc[1]}
	}
	// The point-in-polygon lookup Locate itself starts with: the grid
	// index with a plan, the community index without.
	ix := d.loc.Grids()
	if ix == nil {
		ix = d.loc.Communities()
	}
	b.Run("geo index only", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p := pts[i%len(pts)]
			if _, ok := ix.Locate(p[0], p[1]); !ok {
				b.Fatal("outside")
			}
			i++
		}
	})
	for _, k := range []int{0, 3} {
		b.Run("k="+string(rune('0'+k)), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := pts[i%len(pts)]
				if _, err := d.Locate(p[0], p[1], k); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("k=3 parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				p := pts[i%len(pts)]
				if _, err := d.Locate(p[0], p[1], 3); err != nil {
					b.Error(err)
					return
				}
				i += 7
			}
		})
	})
}
