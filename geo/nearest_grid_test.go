package geo

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// outsidePoints are n random points no area of ix contains: around the
// tiling, in its gaps and holes, and far away (other continents, near the
// poles and the antimeridian).
func outsidePoints(ix *PolygonIndex, rng *rand.Rand, n int) []orb.Point {
	var bb orb.Bound
	for i := range ix.Len() {
		if i == 0 {
			bb = ix.Area(i).Geom.Bound()
		}
		bb = bb.Union(ix.Area(i).Geom.Bound())
	}
	c := bb.Center()
	w, h := bb.Max[0]-bb.Min[0], bb.Max[1]-bb.Min[1]
	var pts []orb.Point
	for try := 0; len(pts) < n; try++ {
		var p orb.Point
		switch try % 4 {
		case 0: // the bounding box: gaps and holes
			p = orb.Point{bb.Min[0] + rng.Float64()*w, bb.Min[1] + rng.Float64()*h}
		case 1: // a band around the district
			p = orb.Point{c[0] + (rng.Float64()-0.5)*3*w, c[1] + (rng.Float64()-0.5)*3*h}
		case 2: // the region
			p = orb.Point{c[0] + (rng.Float64()-0.5)*10, c[1] + (rng.Float64()-0.5)*10}
		default: // anywhere on Earth
			p = orb.Point{-180 + rng.Float64()*360, -90 + rng.Float64()*180}
		}
		if _, in := ix.Locate(p[0], p[1]); !in {
			pts = append(pts, p)
		}
	}
	return pts
}

// TestBoundaryIndexIsNearest wants BoundaryIndex.Nearest to give, for
// every point outside the areas, exactly PolygonIndex.Nearest's answer
// (same area, the same float64 distance), and the brute-force nearest
// boundary within rounding, on several tilings with gaps, holes and
// multi-part areas, and on shapes of another kind (rings of many short
// edges, long thin areas).
func TestBoundaryIndexIsNearest(t *testing.T) {
	sets := map[string][]Area{
		"pukouLike 11": pukouLike(11).build(),
		"coarse quads": tilingSpec{seed: 13, nx: 5, ny: 3, sub: 1, x0: -3, y0: 50, w: 6, h: 2, gaps: 0.1, axisAlignedPct: 0.5}.build(),
		"strips":       strips(40, 12.5, -8.2, 0.9, 0.05),
	}
	n := propertyPoints / 2000 // PolygonIndex.Nearest's ring search is slow far away
	for name, areas := range sets {
		t.Run(name, func(t *testing.T) {
			ix, err := NewPolygonIndex(areas)
			if err != nil {
				t.Fatal(err)
			}
			bi, err := NewBoundaryIndex(areas)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(propertySeed))
			for _, p := range outsidePoints(ix, rng, n) {
				i, d := bi.Nearest(p[0], p[1])
				wi, wd := ix.Nearest(p[0], p[1])
				if i != wi || d != wd {
					t.Fatalf("%v: BoundaryIndex %d, %v m; PolygonIndex %d, %v m", p, i, d, wi, wd)
				}
				if bi, bd := bruteNearest(areas, p); bi != i || math.Abs(bd-d) > 1e-9*(1+bd) {
					t.Fatalf("%v: BoundaryIndex %d, %v m; brute force %d, %v m", p, i, d, bi, bd)
				}
			}
		})
	}
}

// strips are n long thin rectangles side by side, each drawn with many
// short edges on its long sides.
func strips(n int, x0, y0, h, w float64) []Area {
	var areas []Area
	for i := range n {
		x := x0 + float64(i)*w
		var r orb.Ring
		for k := 0; k <= 50; k++ {
			r = append(r, orb.Point{x, y0 + h*float64(k)/50})
		}
		for k := 50; k >= 0; k-- {
			r = append(r, orb.Point{x + w, y0 + h*float64(k)/50})
		}
		r = append(r, r[0])
		// clockwise as drawn; the index does not mind
		areas = append(areas, Area{Code: fmt.Sprintf("s%02d", i), Geom: orb.MultiPolygon{{r}}})
	}
	return areas
}

// TestBoundaryIndexTies: equidistant boundaries go to the lowest index,
// a shared edge counts for both its areas, and the answer does not depend
// on the areas' order beyond that rule.
func TestBoundaryIndexTies(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	// two squares sharing the edge x=1; a third far east
	areas := []Area{{"b", sq(1, 0, 2, 1)}, {"a", sq(0, 0, 1, 1)}, {"c", sq(5, 0, 6, 1)}}
	bi, err := NewBoundaryIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lon, lat float64
		want     int
	}{
		{1, 3, 0},     // above the shared edge's top vertex: both at the same distance
		{1, -2, 0},    // below it
		{3.5, 0.5, 0}, // halfway between b (x=2) and c (x=5): the lower index
		{7, 0.5, 2},   // east of c
		{-1, 0.5, 1},  // west of a
	} {
		if i, _ := bi.Nearest(tc.lon, tc.lat); i != tc.want {
			t.Errorf("Nearest(%v, %v) = %d, want %d", tc.lon, tc.lat, i, tc.want)
		}
	}
	empty, err := NewBoundaryIndex(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]float64{{0, 0}, {math.NaN(), 0}, {0, math.Inf(1)}} {
		if i, d := empty.Nearest(p[0], p[1]); i != -1 || !math.IsInf(d, 1) {
			t.Errorf("empty index: Nearest(%v) = %d, %v", p, i, d)
		}
		if p[0] == 0 && p[1] == 0 {
			continue
		}
		if i, d := bi.Nearest(p[0], p[1]); i != -1 || !math.IsInf(d, 1) {
			t.Errorf("Nearest(%v) = %d, %v", p, i, d)
		}
	}
	if _, err := NewBoundaryIndex([]Area{{"x", orb.MultiPolygon{{{{0, 0}, {200, 0}, {0, 1}, {0, 0}}}}}}); err == nil {
		t.Error("a vertex at lon 200 was accepted")
	}
}

// TestBoundaryIndexNoAlloc: a query allocates nothing.
func TestBoundaryIndexNoAlloc(t *testing.T) {
	areas := pukouLike(14).build()
	bi, err := NewBoundaryIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	if n := testing.AllocsPerRun(1000, func() {
		k++
		bi.Nearest(118+float64(k%100)*0.01, 31.5+float64(k%37)*0.03)
	}); n != 0 {
		t.Fatalf("%v allocations per query", n)
	}
}

// TestBoundaryIndexCostFlat: the segment distances a query computes stay
// few as the district grows and as the point moves away, where the
// raster's ring search grows with the distance.
func TestBoundaryIndexCostFlat(t *testing.T) {
	for _, tc := range []struct {
		spec tilingSpec
		max  float64
	}{
		{pukouLike(15), 120},
		{tilingSpec{seed: 16, nx: 150, ny: 120, sub: 4, x0: 117, y0: 30.5, w: 2, h: 1.6, gaps: 0.02, axisAlignedPct: 0.3}, 120},
	} {
		areas := tc.spec.build()
		ix, _ := NewPolygonIndex(areas)
		bi, err := NewBoundaryIndex(areas)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(propertySeed))
		pts := outsidePoints(ix, rng, 2000)
		segs := 0
		for _, p := range pts {
			segs += bi.countSegs(p[0], p[1])
		}
		mean := float64(segs) / float64(len(pts))
		t.Logf("%d areas, %d segments: %.1f segment distances a query", len(areas), bi.Len(), mean)
		if mean > tc.max {
			t.Errorf("%.1f segment distances a query, want at most %v", mean, tc.max)
		}
	}
}

func (bi *BoundaryIndex) countSegs(lon, lat float64) int { return bi.query(lon, lat).segs }
