package geo_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/geo"
)

func TestIntersectsBound(t *testing.T) {
	// A square with a square hole, and boxes around it.
	holed := orb.MultiPolygon{{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}}
	line := orb.LineString{{0, 0}, {4, 4}}
	box := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	tests := []struct {
		name string
		g    orb.Geometry
		b    orb.Bound
		want bool
	}{
		{"inside the ring", holed, box(0.2, 0.2, 0.5, 0.5), true},
		{"inside the hole", holed, box(1.5, 1.5, 2.5, 2.5), false},
		{"touching the hole's edge", holed, box(1.5, 1.5, 3, 2.5), true},
		{"covering everything", holed, box(-1, -1, 5, 5), true},
		{"outside", holed, box(5, 5, 6, 6), false},
		{"touching a corner", holed, box(4, 4, 5, 5), true},
		{"crossing an edge only", holed, box(-1, 2, 0.5, 2.1), true},
		{"bboxes overlap, shapes do not", orb.Polygon{{{0, 0}, {4, 0}, {0, 4}, {0, 0}}}, box(3, 3, 5, 5), false},
		{"point inside", orb.Point{1, 1}, box(0, 0, 2, 2), true},
		{"point on the edge", orb.Point{2, 1}, box(0, 0, 2, 2), true},
		{"point outside", orb.Point{3, 1}, box(0, 0, 2, 2), false},
		{"line through", line, box(1, 1.5, 3, 2.5), true},
		{"line beside, bboxes overlap", line, box(3, 0, 4, 1), false},
		{"collection with one hit", orb.Collection{orb.Point{9, 9}, orb.Point{1, 1}}, box(0, 0, 2, 2), true},
		{"nil", nil, box(0, 0, 1, 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := geo.IntersectsBound(tc.g, tc.b); got != tc.want {
				t.Fatalf("IntersectsBound = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIntersectsBoundRandom checks polygons against an independent answer:
// a box intersects a polygon iff a polygon vertex lies in the box, or a box
// corner lies in the polygon, or an edge of one crosses an edge of the other
// (approximated here by dense sampling of the box's edges).
func TestIntersectsBoundRandom(t *testing.T) {
	seed := int64(20261127)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	poly := orb.Polygon{{{0, 0}, {6, 1}, {8, 5}, {5, 4}, {3, 8}, {1, 5}, {0, 0}}}
	for i := 0; i < 2000; i++ {
		x, y := rng.Float64()*10-1, rng.Float64()*10-1
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + rng.Float64()*2, y + rng.Float64()*2}}
		want := false
		for _, p := range poly[0] {
			if b.Contains(p) {
				want = true
			}
		}
		const n = 400
		for k := 0; k <= n && !want; k++ {
			f := float64(k) / n
			for _, p := range []orb.Point{
				{b.Min[0] + f*(b.Max[0]-b.Min[0]), b.Min[1]}, {b.Min[0] + f*(b.Max[0]-b.Min[0]), b.Max[1]},
				{b.Min[0], b.Min[1] + f*(b.Max[1]-b.Min[1])}, {b.Max[0], b.Min[1] + f*(b.Max[1]-b.Min[1])},
			} {
				if planar.PolygonContains(poly, p) {
					want = true
					break
				}
			}
		}
		if got := geo.IntersectsBound(poly, b); got != want {
			// sampling can miss a sliver crossing; accept only if the
			// difference is a near-touch
			if want || !nearTouch(poly, b) {
				t.Fatalf("box %v: IntersectsBound = %v, sampled answer %v", b, got, want)
			}
		}
	}
}

func nearTouch(poly orb.Polygon, b orb.Bound) bool {
	grown := b.Pad(1e-2)
	for _, p := range poly[0] {
		if grown.Contains(p) {
			return true
		}
	}
	return geo.IntersectsBound(poly, grown) && !geo.IntersectsBound(poly, b.Pad(-1e-2))
}

func ExampleIntersectsBound() {
	ring := orb.Polygon{{{118.60, 32.00}, {118.70, 32.00}, {118.70, 32.10}, {118.60, 32.10}, {118.60, 32.00}}}
	inside := orb.Bound{Min: orb.Point{118.62, 32.02}, Max: orb.Point{118.63, 32.03}}
	beside := orb.Bound{Min: orb.Point{118.71, 32.02}, Max: orb.Point{118.72, 32.03}}
	fmt.Println(geo.IntersectsBound(ring, inside), geo.IntersectsBound(ring, beside))
	// Output: true false
}

func BenchmarkIntersectsBound(b *testing.B) {
	poly := orb.Polygon{{{0, 0}, {6, 1}, {8, 5}, {5, 4}, {3, 8}, {1, 5}, {0, 0}}}
	box := orb.Bound{Min: orb.Point{4, 2}, Max: orb.Point{4.5, 2.5}}
	b.ReportAllocs()
	for b.Loop() {
		if !geo.IntersectsBound(poly, box) {
			b.Fatal("want true")
		}
	}
}
