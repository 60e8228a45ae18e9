package geo

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// Test doubles shared by the internal tests and (through the exported
// aliases at the bottom) the geo_test package's PostGIS tests.

// tilingSpec describes a synthetic district: an nx×ny mesh of jittered
// quadrilaterals over [x0,x0+w]×[y0,y0+h] whose shared edges are subdivided
// into sub pieces (the same points on both sides), with some gaps, some
// areas made of two far-apart polygons and some islands in holes.
type tilingSpec struct {
	seed           int64
	nx, ny, sub    int
	x0, y0, w, h   float64
	gaps, multis   float64 // fraction of quads dropped / merged into another area
	islands        float64 // fraction of quads given a hole holding another area
	axisAlignedPct float64 // fraction of vertices left on the lattice (exact horizontal/vertical edges)
}

func pukouLike(seed int64) tilingSpec {
	return tilingSpec{seed: seed, nx: 30, ny: 24, sub: 4, x0: 118.45, y0: 31.90, w: 0.40, h: 0.32,
		gaps: 0.02, multis: 0.02, islands: 0.02, axisAlignedPct: 0.3}
}

func (s tilingSpec) build() []Area {
	rng := rand.New(rand.NewSource(s.seed))
	dx, dy := s.w/float64(s.nx), s.h/float64(s.ny)
	v := make([][]orb.Point, s.nx+1)
	for i := range v {
		v[i] = make([]orb.Point, s.ny+1)
		for j := range v[i] {
			x, y := s.x0+float64(i)*dx, s.y0+float64(j)*dy
			if rng.Float64() >= s.axisAlignedPct {
				if i > 0 && i < s.nx {
					x += (rng.Float64() - 0.5) * 0.5 * dx
				}
				if j > 0 && j < s.ny {
					y += (rng.Float64() - 0.5) * 0.5 * dy
				}
			}
			v[i][j] = orb.Point{x, y}
		}
	}
	// interior points of each mesh edge, keyed by its two end indices
	type key struct{ i0, j0, i1, j1 int }
	mids := map[key][]orb.Point{}
	edgePts := func(i0, j0, i1, j1 int) []orb.Point {
		k := key{i0, j0, i1, j1}
		rev := false
		if i0 > i1 || (i0 == i1 && j0 > j1) {
			k = key{i1, j1, i0, j0}
			rev = true
		}
		pts, ok := mids[k]
		if !ok {
			a, b := v[k.i0][k.j0], v[k.i1][k.j1]
			border := (k.i0 == k.i1 && (k.i0 == 0 || k.i0 == s.nx)) || (k.j0 == k.j1 && (k.j0 == 0 || k.j0 == s.ny))
			for t := 1; t < s.sub; t++ {
				f := float64(t) / float64(s.sub)
				p := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
				if !border && rng.Float64() >= s.axisAlignedPct {
					// displace perpendicular to the edge, within ±8% of a cell
					nx, ny := -(b[1] - a[1]), b[0]-a[0]
					// (smaller with many sub-points so neighbouring edges cannot cross)
					d := (rng.Float64() - 0.5) * 0.16 * math.Min(1, 2/float64(s.sub))
					p[0] += nx * d
					p[1] += ny * d
				}
				pts = append(pts, p)
			}
			mids[k] = pts
		}
		if !rev {
			return pts
		}
		r := make([]orb.Point, len(pts))
		for i := range pts {
			r[i] = pts[len(pts)-1-i]
		}
		return r
	}
	var quads []orb.Polygon
	for j := 0; j < s.ny; j++ {
		for i := 0; i < s.nx; i++ {
			var ring orb.Ring
			corners := [][2]int{{i, j}, {i + 1, j}, {i + 1, j + 1}, {i, j + 1}}
			for c := 0; c < 4; c++ {
				a, b := corners[c], corners[(c+1)%4]
				ring = append(ring, v[a[0]][a[1]])
				ring = append(ring, edgePts(a[0], a[1], b[0], b[1])...)
			}
			ring = append(ring, ring[0])
			quads = append(quads, orb.Polygon{ring})
		}
	}
	var areas []Area
	skip := map[int]bool{}
	for q := range quads {
		if skip[q] {
			continue
		}
		r := rng.Float64()
		switch {
		case r < s.gaps:
			continue
		case r < s.gaps+s.multis:
			// take a far quad as this area's second polygon
			o := rng.Intn(len(quads))
			if o == q || skip[o] || o < q {
				break
			}
			skip[o] = true
			areas = append(areas, Area{Code: fmt.Sprintf("M%05d", q), Geom: orb.MultiPolygon{quads[q], quads[o]}})
			continue
		case r < s.gaps+s.multis+s.islands:
			// axis-aligned square hole around the quad's centre, filled by an island area
			c := quads[q][0].Bound().Center()
			hx, hy := 0.08*dx, 0.08*dy
			hole := orb.Ring{{c[0] - hx, c[1] - hy}, {c[0] - hx, c[1] + hy}, {c[0] + hx, c[1] + hy}, {c[0] + hx, c[1] - hy}, {c[0] - hx, c[1] - hy}}
			island := orb.Ring{{c[0] - hx, c[1] - hy}, {c[0] + hx, c[1] - hy}, {c[0] + hx, c[1] + hy}, {c[0] - hx, c[1] + hy}, {c[0] - hx, c[1] - hy}}
			areas = append(areas, Area{Code: fmt.Sprintf("H%05d", q), Geom: orb.MultiPolygon{{quads[q][0], hole}}})
			areas = append(areas, Area{Code: fmt.Sprintf("I%05d", q), Geom: orb.MultiPolygon{{island}}})
			continue
		}
		areas = append(areas, Area{Code: fmt.Sprintf("Q%05d", q), Geom: orb.MultiPolygon{quads[q]}})
	}
	// shuffle so index order is unrelated to position
	rng.Shuffle(len(areas), func(a, b int) { areas[a], areas[b] = areas[b], areas[a] })
	return areas
}

// reference is the brute-force answer under the documented tie rule: the
// lowest-index area that contains the eastward-perturbed point, else the
// lowest-index area whose closed boundary holds the point.
type reference struct {
	areas []Area
	bb    []orb.Bound
	// a coarse bucket grid of area ids by bounding box, only to make the
	// brute force affordable on a million points
	all     orb.Bound
	n       int
	buckets [][]int
}

func newReference(areas []Area) *reference {
	r := &reference{areas: areas, bb: make([]orb.Bound, len(areas)), n: 64}
	first := true
	for i, a := range areas {
		if len(a.Geom) > 0 {
			r.bb[i] = a.Geom.Bound()
			if first {
				r.all, first = r.bb[i], false
			}
			r.all = r.all.Union(r.bb[i])
		} else {
			r.bb[i] = orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}} // empty
		}
	}
	r.buckets = make([][]int, r.n*r.n)
	for i := range areas {
		if len(areas[i].Geom) == 0 {
			continue
		}
		x0, y0 := r.cell(r.bb[i].Min)
		x1, y1 := r.cell(r.bb[i].Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				r.buckets[y*r.n+x] = append(r.buckets[y*r.n+x], i)
			}
		}
	}
	return r
}

func (r *reference) cell(p orb.Point) (int, int) {
	f := func(v, lo, hi float64) int {
		c := int((v - lo) / (hi - lo) * float64(r.n))
		return max(0, min(c, r.n-1))
	}
	return f(p[0], r.all.Min[0], r.all.Max[0]), f(p[1], r.all.Min[1], r.all.Max[1])
}

// cands are the areas whose bounding box holds p, ascending.
func (r *reference) cands(p orb.Point) []int {
	if !r.all.Contains(p) {
		return nil
	}
	x, y := r.cell(p)
	var out []int
	for _, i := range r.buckets[y*r.n+x] {
		if r.bb[i].Contains(p) {
			out = append(out, i)
		}
	}
	return out
}

func (r *reference) locate(p orb.Point) (int, bool) {
	c := r.cands(p)
	for _, i := range c {
		if containsHalfOpen(r.areas[i].Geom, p[0], p[1]) {
			return i, true
		}
	}
	for _, i := range c {
		if onBoundary(r.areas[i].Geom, p[0], p[1]) {
			return i, true
		}
	}
	return -1, false
}

// claims lists every area claiming p by the half-open rule alone.
func (r *reference) claims(p orb.Point) []int {
	var out []int
	for _, i := range r.cands(p) {
		if containsHalfOpen(r.areas[i].Geom, p[0], p[1]) {
			out = append(out, i)
		}
	}
	return out
}

// Exported for the geo_test package (PostGIS comparisons, examples).
var (
	TestPukouLikeTiling = func(seed int64) []Area { return pukouLike(seed).build() }
	// TestTiling is an nx×ny jittered quad tiling of [x0,x0+w]×[y0,y0+h]
	// with shared edges cut in 4, some gaps, multipolygons and islands.
	TestTiling = func(seed int64, nx, ny int, x0, y0, w, h float64) []Area {
		s := pukouLike(seed)
		s.nx, s.ny, s.x0, s.y0, s.w, s.h = nx, ny, x0, y0, w, h
		return s.build()
	}
	// TestCheckLocate runs the brute-force property checks (n random points
	// in the areas' padded bounding box against orb and the exact
	// reference, every vertex and edge midpoint against the tie rule). The
	// areas need not tile exactly: a point claimed by several areas must lie
	// in an overlap of the input.
	TestCheckLocate = func(t *testing.T, areas []Area, n int) {
		ix, err := NewPolygonIndex(areas)
		if err != nil {
			t.Fatal(err)
		}
		var b orb.Bound
		for i, a := range areas {
			if i == 0 {
				b = a.Geom.Bound()
			}
			b = b.Union(a.Geom.Bound())
		}
		s := tilingSpec{x0: b.Min[0], y0: b.Min[1], w: b.Max[0] - b.Min[0], h: b.Max[1] - b.Min[1]}
		ref := newReference(areas)
		t.Logf("%d areas, %d edges, raster %d×%d, %d mixed cells; seed %d", len(areas), ix.nEdges, ix.nx, ix.ny, ix.nMixed, propertySeed)
		checkRandom(t, ix, ref, areas, s, n)
		checkBoundaryPoints(t, ix, ref, areas, false)
	}
	TestPropertyPoints = propertyPoints
	TestOnSomeEdge     = func(areas []Area, p orb.Point, tol float64) bool { return nearSomeEdge(areas, p, tol) }
)

// nearSomeEdge reports whether p is within tol degrees of an edge.
func nearSomeEdge(areas []Area, p orb.Point, tol float64) bool {
	for _, a := range areas {
		for _, poly := range a.Geom {
			for _, ring := range poly {
				for k := 0; k+1 < len(ring); k++ {
					if segDist2(ring[k][0]-p[0], ring[k][1]-p[1], ring[k+1][0]-p[0], ring[k+1][1]-p[1]) <= tol*tol {
						return true
					}
				}
			}
		}
	}
	return false
}
