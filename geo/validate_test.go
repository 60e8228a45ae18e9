package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// valSq is a closed axis-aligned square ring, counter-clockwise, from (x, y)
// with side s, in degrees near Pukou so that values look like real data.
func valSq(x, y, s float64) orb.Ring {
	x, y = 118.6+x, 32.0+y
	return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
}

// ring builds a closed ring from offsets (in units of 0.01°) added to Pukou.
func valRing(xy ...float64) orb.Ring {
	var r orb.Ring
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, orb.Point{118.6 + xy[i]*0.01, 32.0 + xy[i+1]*0.01})
	}
	return r
}

func valWantInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid {
		t.Fatalf("want errs.Invalid, got %v", err)
	}
	if e.Field != field || !strings.Contains(e.Msg, msg) {
		t.Fatalf("got Field %q Msg %q; want Field %q Msg containing %q", e.Field, e.Msg, field, msg)
	}
}

func TestValidatePolygon(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name  string
		p     orb.Polygon
		field string // "" = valid
		msg   string
	}{
		{"square", orb.Polygon{valSq(0, 0, 0.01)}, "", ""},
		{"clockwise square", orb.Polygon{valRing(0, 0, 0, 1, 1, 1, 1, 0, 0, 0)}, "", ""},
		{"triangle", orb.Polygon{valRing(0, 0, 1, 0, 0, 1, 0, 0)}, "", ""},
		{"repeated vertices ignored", orb.Polygon{valRing(0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0)}, "", ""},
		{"concave", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 2, 1, 0, 4, 0, 0)}, "", ""},
		{"with hole", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(1, 1, 1, 2, 2, 2, 2, 1, 1, 1)}, "", ""},
		{"hole touching shell at a point", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(0, 2, 1, 1, 1, 3, 0, 2)}, "", ""},
		{"two holes touching at a point", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(1, 1, 2, 1, 2, 2, 1, 1), valRing(2, 2, 3, 2, 3, 3, 2, 2)}, "", ""},
		{"world-edge square", orb.Polygon{{{179, 89}, {180, 89}, {180, 90}, {179, 90}, {179, 89}}}, "", ""},

		{"no rings", orb.Polygon{}, "polygon 0", "no rings"},
		{"nan lon", orb.Polygon{{{118, 32}, {nan, 32}, {119, 33}, {118, 32}}}, "polygon 0, ring 0, vertex 1", "not finite"},
		{"inf lat in hole", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 0), {{118.61, 32.005}, {118.62, 32.005}, {118.62, inf}, {118.61, 32.005}}}, "polygon 0, ring 1, vertex 2", "not finite"},
		{"lon out of range", orb.Polygon{{{179, 0}, {180.5, 0}, {179, 1}, {179, 0}}}, "polygon 0, ring 0, vertex 1", "outside lon"},
		{"lat out of range", orb.Polygon{{{0, 0}, {1, 0}, {1, -91}, {0, 0}}}, "polygon 0, ring 0, vertex 2", "outside lon"},
		{"three positions", orb.Polygon{valRing(0, 0, 1, 0, 0, 0)}, "polygon 0, ring 0, vertex 2", "3 positions"},
		{"empty ring", orb.Polygon{orb.Ring{}}, "polygon 0, ring 0, vertex 0", "0 positions"},
		{"unclosed", orb.Polygon{valRing(0, 0, 1, 0, 1, 1, 0, 1)}, "polygon 0, ring 0, vertex 3", "not closed"},
		{"two distinct after repeats", orb.Polygon{valRing(0, 0, 0, 0, 1, 0, 0, 0)}, "polygon 0, ring 0, vertex 0", "2 distinct"},
		{"zero area collinear", orb.Polygon{valRing(0, 0, 1, 1, 2, 2, 0, 0)}, "polygon 0, ring 0, vertex 0", "zero area"},
		{"zero area hole", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 0), valRing(1, 0.5, 2, 0.5, 3, 0.5, 1, 0.5)}, "polygon 0, ring 1, vertex 0", "zero area"},
		{"bow tie", orb.Polygon{valRing(0, 0, 1, 1, 1, 0, 0, 1, 0, 0)}, "polygon 0, ring 0, vertex 0", "edge from vertex 0 crosses edge from vertex 2"},
		{"self crossing later", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 2, 4, 2, -1, 1, -1, 1, 4, 0, 4, 0, 0)}, "polygon 0, ring 0, vertex 0", "crosses itself"},
		{"self touch at vertex", orb.Polygon{valRing(0, 0, 2, 2, 4, 0, 4, 4, 2, 2, 0, 4, 0, 0)}, "polygon 0, ring 0, vertex 0", "touches itself"},
		{"vertex on own edge", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 3, 4, 2, 0, 1, 4, 0, 4, 0, 0)}, "polygon 0, ring 0, vertex 0", "touches itself"},
		{"spike", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 4, 6, 4, 4, 0, 4, 0, 0)}, "polygon 0, ring 0, vertex 3", "spike"},
		{"spike at closing vertex", orb.Polygon{valRing(-2, 0, 0, 0, 4, 0, 4, 4, 0, 4, 0, 0, -2, 0)}, "polygon 0, ring 0, vertex 0", "spike"},
		{"hole outside shell", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(5, 5, 6, 5, 6, 6, 5, 5)}, "polygon 0, ring 1, vertex 0", "outside its shell"},
		{"hole around shell", orb.Polygon{valRing(1, 1, 2, 1, 2, 2, 1, 1), valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0)}, "polygon 0, ring 1, vertex 0", "outside its shell"},
		{"hole crossing shell", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(3, 1, 5, 1, 5, 2, 3, 2, 3, 1)}, "polygon 0, ring 1, vertex 0", "crosses the shell"},
		{"hole sharing shell edge", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), valRing(1, 0, 2, 0, 2, 1, 1, 1, 1, 0)}, "polygon 0, ring 1, vertex 0", "shares an edge segment with the shell"},
		{"hole equal to shell", orb.Polygon{valRing(0, 0, 4, 0, 4, 4, 0, 0), valRing(0, 0, 4, 0, 4, 4, 0, 0)}, "polygon 0, ring 1, vertex 0", "shares an edge segment"},
		{"holes crossing", orb.Polygon{valRing(0, 0, 6, 0, 6, 6, 0, 6, 0, 0), valRing(1, 1, 3, 1, 3, 3, 1, 3, 1, 1), valRing(2, 2, 4, 2, 4, 4, 2, 4, 2, 2)}, "polygon 0, ring 2, vertex 0", "crosses the hole (ring 1) at its edge from vertex 1"},
		{"hole in hole", orb.Polygon{valRing(0, 0, 6, 0, 6, 6, 0, 6, 0, 0), valRing(1, 1, 5, 1, 5, 5, 1, 5, 1, 1), valRing(2, 2, 3, 2, 3, 3, 2, 2)}, "polygon 0, ring 2, vertex 0", "inside or on hole 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			valWantInvalid(t, ValidatePolygon(tc.p), tc.field, tc.msg)
			// The same polygon as part 2 of a MultiPolygon is named so.
			far := orb.Polygon{valSq(-50, -20, 0.01)}
			err := ValidateMultiPolygon(orb.MultiPolygon{far, far.Clone(), tc.p})
			if tc.field == "" {
				if err == nil || !strings.Contains(err.Error(), "coincides") {
					// parts 0 and 1 coincide, so the multipolygon is
					// invalid for that reason only
					t.Fatalf("multipolygon: got %v, want the coincidence of parts 0 and 1", err)
				}
				return
			}
			valWantInvalid(t, err, strings.Replace(tc.field, "polygon 0", "polygon 2", 1), tc.msg)
		})
	}
}

func TestValidateMultiPolygon(t *testing.T) {
	shellWithHole := orb.Polygon{valRing(0, 0, 6, 0, 6, 6, 0, 6, 0, 0), valRing(2, 2, 4, 2, 4, 4, 2, 4, 2, 2)}
	tests := []struct {
		name  string
		mp    orb.MultiPolygon
		field string
		msg   string
	}{
		{"one part", orb.MultiPolygon{{valSq(0, 0, 1)}}, "", ""},
		{"disjoint", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(2, 0, 1)}}, "", ""},
		{"sharing an edge", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(1, 0, 1)}}, "", ""},
		{"sharing part of an edge", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(1, 0.5, 1)}}, "", ""},
		{"touching at a corner", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(1, 1, 1)}}, "", ""},
		{"island in the hole", orb.MultiPolygon{shellWithHole, {valRing(2.5, 2.5, 3.5, 2.5, 3.5, 3.5, 2.5, 2.5)}}, "", ""},
		{"sharing a diagonal edge", orb.MultiPolygon{
			{{{118.6123, 32.0417}, {118.6391, 32.0533}, {118.6177, 32.0702}, {118.6123, 32.0417}}},
			{{{118.6391, 32.0533}, {118.6455, 32.0811}, {118.6177, 32.0702}, {118.6391, 32.0533}}}}, "", ""},
		{"checkerboard built by float arithmetic", func() orb.MultiPolygon {
			var mp orb.MultiPolygon
			for i := range 4 {
				for j := range 4 {
					mp = append(mp, orb.Polygon{valSq(0.01*float64(i), 0.01*float64(j), 0.01)})
				}
			}
			return mp
		}(), "", ""},
		{"filling the hole exactly", orb.MultiPolygon{shellWithHole, {valRing(2, 2, 4, 2, 4, 4, 2, 4, 2, 2)}}, "", ""},

		{"empty", orb.MultiPolygon{}, "multipolygon", "no polygons"},
		{"bad part", orb.MultiPolygon{{valSq(0, 0, 1)}, {valRing(0, 0, 1, 0)}}, "polygon 1, ring 0, vertex 1", "2 positions"},
		{"crossing parts", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(0.5, 0.5, 1)}}, "polygon 1, ring 0, vertex 0", "overlaps polygon 0: its edge crosses polygon 0 ring 0 edge from vertex 1"},
		{"part inside part", orb.MultiPolygon{{valSq(0, 0, 3)}, {valSq(1, 1, 1)}}, "polygon 1, ring 0, vertex 0", "overlaps polygon 0: this vertex lies inside it"},
		{"part around part", orb.MultiPolygon{{valSq(1, 1, 1)}, {valSq(0, 0, 3)}}, "polygon 1, ring 0, vertex 0", "overlaps polygon 0: its vertex 0 lies inside"},
		{"part inside sharing edges", orb.MultiPolygon{{valSq(0, 0, 2)}, {valSq(0, 0, 1)}}, "polygon 1, ring 0, vertex 1", "overlaps polygon 0: this edge (from vertex) lies inside it"},
		{"identical parts", orb.MultiPolygon{{valSq(0, 0, 1)}, {valSq(0, 0, 1)}}, "polygon 1, ring 0, vertex 0", "coincides with polygon 0"},
		{"same ring other start", orb.MultiPolygon{{valSq(0, 0, 1)}, {valRing(100, 0, 100, 100, 0, 100, 0, 0, 100, 0)}}, "polygon 1, ring 0, vertex 0", "coincides with polygon 0"},
		{"island larger than the hole", orb.MultiPolygon{shellWithHole, {valRing(1, 1, 5, 1, 5, 5, 1, 5, 1, 1)}}, "polygon 1, ring 0, vertex 0", "overlaps polygon 0: this vertex lies inside it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			valWantInvalid(t, ValidateMultiPolygon(tc.mp), tc.field, tc.msg)
		})
	}
}

// valCircle is a closed regular n-gon of radius r degrees around Pukou,
// optionally with every vertex jittered radially by up to jit·r.
func valCircle(n int, r, jit float64, rnd *rand.Rand) orb.Ring {
	valRing := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r
		if rnd != nil {
			rr *= 1 + jit*(rnd.Float64()-0.5)
		}
		valRing = append(valRing, orb.Point{118.63 + rr*math.Cos(a), 32.06 + rr*math.Sin(a)})
	}
	return append(valRing, valRing[0])
}

// TestValidateLargeRing checks the 5,000-vertex budget (< 5 ms) on a
// ragged boundary-like ring, and that a crossing planted at a random place
// in it is found and named.
func TestValidateLargeRing(t *testing.T) {
	s := basicsSeed(t)
	rnd := rand.New(rand.NewPCG(s, 7))
	r := valCircle(5000, 0.05, 0.02, rnd)
	p := orb.Polygon{r}
	if err := ValidatePolygon(p); err != nil {
		t.Fatalf("ragged 5000-gon: %v", err)
	}
	// The fastest of 30 runs: the machine is shared, and the minimum is
	// what the code costs when it gets a core.
	perOp := time.Hour
	for range 30 {
		t0 := time.Now()
		_ = ValidatePolygon(p)
		perOp = min(perOp, time.Since(t0))
	}
	t.Logf("ValidatePolygon of a 5000-vertex ring: %v (fastest of 30)", perOp)
	if !validateUnderRace && perOp > 5*time.Millisecond {
		t.Errorf("ValidatePolygon took %v for 5000 vertices, budget 5 ms", perOp)
	}

	// Swap two neighbouring vertices of a regular (convex) 5000-gon: the
	// edges into and out of the pair now cross.
	k := 1 + rnd.IntN(4990)
	bad := orb.Polygon{valCircle(5000, 0.05, 0, nil)}
	bad[0][k], bad[0][k+1] = bad[0][k+1], bad[0][k]
	err := ValidatePolygon(bad)
	e, ok := errs.As(err)
	if !ok || !strings.Contains(e.Msg, "crosses itself") {
		t.Fatalf("swapped vertices %d,%d: got %v, want a self-crossing", k, k+1, err)
	}
	if e.Field != fmt.Sprintf("polygon 0, ring 0, vertex %d", k-1) {
		t.Fatalf("swapped vertices %d,%d: reported at %q", k, k+1, e.Field)
	}
}

// TestValidateAgreesWithBruteForce compares the sweep against checking
// every edge pair on random small rings, most of which self-intersect.
func TestValidateAgreesWithBruteForce(t *testing.T) {
	s := basicsSeed(t)
	rnd := rand.New(rand.NewPCG(s, 11))
	n := 3000
	if testing.Short() {
		n = 300
	}
	valid := 0
	for i := range n {
		m := 3 + rnd.IntN(6)
		r := make(orb.Ring, 0, m+1)
		for range m {
			// A coarse lattice makes touching and collinear cases common;
			// its step 2⁻⁷ keeps all arithmetic exact.
			r = append(r, orb.Point{118.5 + float64(rnd.IntN(5))/128, 32 + float64(rnd.IntN(5))/128})
		}
		r = append(r, r[0])
		got := ValidatePolygon(orb.Polygon{r}) == nil
		want := valBruteValid(r)
		if got != want {
			t.Fatalf("ring %d %v: ValidatePolygon valid=%v (%v), brute force valid=%v", i, r, got, ValidatePolygon(orb.Polygon{r}), want)
		}
		if got {
			valid++
		}
	}
	t.Logf("%d random rings, %d valid", n, valid)
	if valid == 0 || valid == n {
		t.Fatalf("random rings not mixed enough: %d of %d valid", valid, n)
	}
}

// valBruteValid is the O(n²) definition: after removing repeats, at least 3
// distinct vertices, not all collinear, adjacent edges meet only at their
// shared vertex, other edges do not meet at all.
func valBruteValid(r orb.Ring) bool {
	var pts []orb.Point
	for _, p := range r {
		if len(pts) == 0 || pts[len(pts)-1] != p {
			pts = append(pts, p)
		}
	}
	n := len(pts) - 1
	if n < 3 {
		return false
	}
	area := 0.0
	for i := range n {
		area += orientDetPt(pts[0], pts[i], pts[i+1])
	}
	if area == 0 {
		return false // integer lattice: zero area is exact
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			c := valSegContact(pts[i], pts[i+1], pts[j], pts[j+1])
			adjacent := j == i+1 || (i == 0 && j == n-1)
			if adjacent && c == valOverlapping || !adjacent && c != valNoContact {
				return false
			}
		}
	}
	return true
}

func BenchmarkValidatePolygon(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{100, 1000, 5000} {
		p := orb.Polygon{valCircle(n, 0.05, 0.02, rnd)}
		if err := ValidatePolygon(p); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vertices=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = ValidatePolygon(p)
			}
		})
	}
	// A shell with 20 holes, as a community with ponds would have.
	p := orb.Polygon{valCircle(2000, 0.05, 0.02, rnd)}
	for i := range 20 {
		h := valCircle(50, 0.002, 0, nil)
		dx, dy := -0.02+0.01*float64(i%5), -0.015+0.01*float64(i/5)
		for j := range h {
			h[j][0] += dx
			h[j][1] += dy
		}
		p = append(p, h)
	}
	if err := ValidatePolygon(p); err != nil {
		b.Fatal(err)
	}
	b.Run("vertices=3000,holes=20", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ValidatePolygon(p)
		}
	})
}

func BenchmarkValidateMultiPolygon(b *testing.B) {
	// A 10×10 checkerboard of 0.01° squares sharing edges and corners, as
	// a street's communities merged into one MultiPolygon would.
	var mp orb.MultiPolygon
	for i := range 10 {
		for j := range 10 {
			mp = append(mp, orb.Polygon{valSq(0.01*float64(i), 0.01*float64(j), 0.01)})
		}
	}
	if err := ValidateMultiPolygon(mp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ValidateMultiPolygon(mp)
	}
}

// FuzzValidatePolygon feeds arbitrary coordinates (including NaN, ±Inf and
// huge values) in rings of arbitrary length: ValidatePolygon must not
// panic, must answer nil or errs.Invalid naming a ring, and must not modify
// its input.
func FuzzValidatePolygon(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint8(5), uint8(0))
	f.Add([]byte("\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0"), uint8(4), uint8(2))
	f.Add(make([]byte, 200), uint8(9), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, ringLen, holes uint8) {
		// Coordinates come from a small lattice (so touching and collinear
		// cases are frequent) or, for byte 0xff, from a special value.
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e308, -181, 91}
		coord := func(i int, base float64) float64 {
			if len(data) == 0 {
				return base
			}
			b := data[i%len(data)]
			if b >= 0xfa {
				return special[int(b-0xfa)%len(special)]
			}
			return base + float64(b%16)/64
		}
		var p orb.Polygon
		k := 0
		for r := 0; r <= int(holes%4); r++ {
			n := int(ringLen % 12)
			var ring orb.Ring
			for range n {
				ring = append(ring, orb.Point{coord(k, 118.5), coord(k+1, 32)})
				k += 2
			}
			if n > 0 && data != nil && len(data) > 0 && data[0]%3 != 0 {
				ring = append(ring, ring[0]) // usually closed
			}
			p = append(p, ring)
		}
		before := p.Clone()
		err := ValidatePolygon(p)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || !strings.HasPrefix(e.Field, "polygon 0") {
				t.Fatalf("ValidatePolygon(%v) = %v", p, err)
			}
		}
		for i := range p {
			for j := range p[i] {
				a, b := p[i][j], before[i][j]
				if !(a == b || math.IsNaN(a[0]) || math.IsNaN(a[1])) {
					t.Fatalf("input modified at ring %d vertex %d", i, j)
				}
			}
		}
		// A MultiPolygon of it and a far copy must agree on validity.
		far := orb.Polygon{valSq(-60, -60, 0.01)}
		if mErr := ValidateMultiPolygon(orb.MultiPolygon{far, p}); (mErr == nil) != (err == nil) {
			t.Fatalf("ValidatePolygon = %v but as part 1 of a MultiPolygon %v", err, mErr)
		}
	})
}

// TestValPairs checks the grid bucketing against the definition: every
// pair of edges with overlapping boxes is visited exactly once, and no
// other pair. It covers short edges (grid), a few long ones, and many long
// ones (the sweep fallback).
func TestValPairs(t *testing.T) {
	s := basicsSeed(t)
	rnd := rand.New(rand.NewPCG(s, 13))
	for _, tc := range []struct {
		name       string
		n          int
		long       float64 // share of long edges (the first ones)
		degenerate bool    // all edges are points on one spot
		short      float64 // length of the short edges; < 0: long edges span the box
	}{
		{"small", 40, 0, false, 0.002},
		{"short edges", 3000, 0, false, 0.002},
		{"some long edges", 3000, 0.01, false, 0.002},
		{"mostly long edges", 1000, 0.8, false, 0.002},
		{"tiny and a few long edges", 2000, 0.003, false, 1e-6},
		{"tiny and box-spanning edges (sweep fallback)", 4000, 0.005, false, -1e-6},
		{"all on one point", 200, 0, true, 0},
	} {
		for _, alg := range []struct {
			name string
			f    func([]valEdge, func(a, b *valEdge) bool)
		}{{"grid", valPairs}, {"sweep", valSweep}} {
			t.Run(tc.name+"/"+alg.name, func(t *testing.T) {
				es := make([]valEdge, tc.n)
				for i := range es {
					a := orb.Point{118.5 + rnd.Float64()*0.2, 32 + rnd.Float64()*0.2}
					l := math.Abs(tc.short)
					if float64(i) < tc.long*float64(tc.n) {
						l = 0.2
					}
					b := orb.Point{a[0] + (rnd.Float64()-0.5)*l, a[1] + (rnd.Float64()-0.5)*l}
					if tc.short < 0 && l == 0.2 {
						// Corner to corner: each such edge covers every grid cell.
						a = orb.Point{118.5 + rnd.Float64()*1e-3, 32 + rnd.Float64()*1e-3}
						b = orb.Point{118.7 - rnd.Float64()*1e-3, 32.2 - rnd.Float64()*1e-3}
					}
					if tc.degenerate {
						a, b = orb.Point{118.6, 32}, orb.Point{118.6, 32}
					}
					es[i] = newValEdge(a, b, 0, 0, i, i)
				}
				seen := map[[2]int]int{}
				alg.f(es, func(a, b *valEdge) bool {
					i, j := min(a.i, b.i), max(a.i, b.i)
					seen[[2]int{i, j}]++
					return true
				})
				want := 0
				for i := range es {
					for j := i + 1; j < len(es); j++ {
						a, b := &es[i], &es[j]
						// es may have been reordered by the sweep fallback.
						i0, j0 := min(a.i, b.i), max(a.i, b.i)
						ov := !(a.maxX < b.minX || b.maxX < a.minX || a.maxY < b.minY || b.maxY < a.minY)
						if ov {
							want++
							if seen[[2]int{i0, j0}] != 1 {
								t.Fatalf("pair %d,%d visited %d times, want once", i0, j0, seen[[2]int{i0, j0}])
							}
						}
					}
				}
				if len(seen) != want {
					t.Fatalf("visited %d pairs, want %d", len(seen), want)
				}
			})
		}
	}
}
