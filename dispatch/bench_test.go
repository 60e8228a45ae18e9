package dispatch

import (
	"math/rand"
	"testing"

	"github.com/gridd/gridd/bundle"
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

// outsideAndInside are Pukou points for the inside/outside comparison, all
// from one seed: building locations (inside), random points of the
// district's bounding box that no community holds, and random points of
// the surrounding 2°×2° region (outside, most far from the district).
func outsideAndInside(tb testing.TB, d *Directory, bun *bundle.Bundle) (inside, nearOut, farOut [][2]float64) {
	tb.Helper()
	rng := rand.New(rand.NewSource(20261203))
	for _, bl := range bun.Buildings {
		inside = append(inside, [2]float64{bl.Loc[0], bl.Loc[1]})
	}
	bb := bun.District.Geom.Bound()
	c := bb.Center()
	for len(nearOut) < 4096 || len(farOut) < 4096 {
		p := [2]float64{bb.Min[0] + rng.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + rng.Float64()*(bb.Max[1]-bb.Min[1])}
		if len(nearOut) >= 4096 {
			p = [2]float64{c[0] + (rng.Float64()-0.5)*2, c[1] + (rng.Float64()-0.5)*2}
		}
		if _, ok := d.loc.Communities().Locate(p[0], p[1]); ok {
			continue
		}
		if len(nearOut) < 4096 {
			nearOut = append(nearOut, p)
		} else {
			farOut = append(farOut, p)
		}
	}
	return inside, nearOut, farOut
}

// BenchmarkLocateOutside puts Directory.Locate on points outside the
// district (answered by the boundary index) beside points inside, in the
// same run; "outside, old scan" is the raster ring search the boundary
// index replaced, for comparison.
//
//	go test -run '^$' -bench LocateOutside -benchmem -count 5 ./dispatch
func BenchmarkLocateOutside(b *testing.B) {
	bun, grids := pukou(b)
	d, err := NewDirectory(bun, grids, nil)
	if err != nil {
		b.Fatal(err)
	}
	inside, nearOut, farOut := outsideAndInside(b, d, bun)
	run := func(name string, pts [][2]float64, k int, wantOutside bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := pts[i%len(pts)]
				_, err := d.Locate(p[0], p[1], k)
				if (err != nil) != wantOutside {
					b.Fatalf("%v: %v", p, err)
				}
				i++
			}
		})
	}
	run("inside k=0", inside, 0, false)
	run("inside k=3", inside, 3, false)
	run("outside bbox", nearOut, 3, true)
	run("outside region", farOut, 3, true)
	for _, set := range []struct {
		name string
		pts  [][2]float64
	}{{"bbox", nearOut}, {"region", farOut}} {
		b.Run("nearest only, boundary index, "+set.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := set.pts[i%len(set.pts)]
				d.near.Nearest(p[0], p[1])
				i++
			}
		})
		b.Run("nearest only, old scan, "+set.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := set.pts[i%len(set.pts)]
				d.nearOf.Nearest(p[0], p[1])
				i++
			}
		})
	}
}
