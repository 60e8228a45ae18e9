package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// ValidatePolygon checks that p is a valid lon/lat polygon and returns the
// first problem as an errs.Invalid error whose Field names the place
// ("polygon 0, ring 1, vertex 17", indices into p as given) and whose Msg
// says what is wrong. Rules:
//   - coordinates finite, lon in [-180, 180], lat in [-90, 90];
//   - every ring closed, with at least 4 positions and 3 distinct vertices;
//     repeated consecutive vertices are ignored, not errors;
//   - no ring of zero area (all vertices on one line);
//   - no ring crosses or touches itself (edges are named), and no spike
//     where a ring doubles back along itself;
//   - no two rings cross or share an edge segment (touching at a single
//     point is allowed, as in OGC Simple Features);
//   - every hole inside its shell, no hole inside another hole.
//
// Winding order is not checked: GeoJSON producers disagree on it and every
// consumer in gridd treats the first ring as the shell.
func ValidatePolygon(p orb.Polygon) error {
	if err := validatePolygonAt(0, p); err != nil {
		return err
	}
	return nil
}

// ValidateMultiPolygon checks every part with ValidatePolygon's rules
// (Field "polygon i, ...") and that no two parts overlap: their interiors
// must be disjoint, though parts may share boundary points and edges.
func ValidateMultiPolygon(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return errs.E(errs.Invalid, "multipolygon", "has no polygons")
	}
	for i, p := range mp {
		if err := validatePolygonAt(i, p); err != nil {
			return err
		}
	}
	if err := valPartsOverlap(mp); err != nil {
		return err
	}
	return nil
}

func valWhere(poly, ring, vertex int) string {
	return fmt.Sprintf("polygon %d, ring %d, vertex %d", poly, ring, vertex)
}

func valInvalid(poly, ring, vertex int, format string, args ...any) *errs.Error {
	return errs.E(errs.Invalid, valWhere(poly, ring, vertex), format, args...)
}

// edge is one segment of a cleaned ring: from pts[i] to pts[i+1] of ring
// r, whose start is vertex v of the caller's original ring.
type valEdge struct {
	a, b                   orb.Point
	minX, maxX, minY, maxY float64
	part, ring, i, v       int
}

func newValEdge(a, b orb.Point, part, ring, i, v int) valEdge {
	return valEdge{a: a, b: b,
		minX: math.Min(a[0], b[0]), maxX: math.Max(a[0], b[0]),
		minY: math.Min(a[1], b[1]), maxY: math.Max(a[1], b[1]),
		part: part, ring: ring, i: i, v: v}
}

// valCleanRing checks one ring's coordinates and shape and returns its
// vertices without consecutive repeats (closing vertex kept) plus, for
// each, its index in the original ring.
func valCleanRing(poly, ri int, r orb.Ring) ([]orb.Point, []int, error) {
	for vi, pt := range r {
		if err := CheckLonLat(pt[0], pt[1]); err != nil {
			return nil, nil, valInvalid(poly, ri, vi, "%s", errMsg(err))
		}
	}
	if len(r) < 4 {
		return nil, nil, valInvalid(poly, ri, max(len(r)-1, 0), "ring has %d positions, need at least 4", len(r))
	}
	if r[0] != r[len(r)-1] {
		return nil, nil, valInvalid(poly, ri, len(r)-1, "ring is not closed: last position %v differs from first %v", r[len(r)-1], r[0])
	}
	pts := make([]orb.Point, 0, len(r))
	idx := make([]int, 0, len(r))
	for vi, pt := range r {
		if len(pts) > 0 && pts[len(pts)-1] == pt {
			continue
		}
		pts = append(pts, pt)
		idx = append(idx, vi)
	}
	if len(pts) < 4 {
		return nil, nil, valInvalid(poly, ri, 0, "ring has %d distinct vertices, need at least 3", len(pts)-1)
	}
	if valCollinear(pts) {
		return nil, nil, valInvalid(poly, ri, 0, "ring has zero area: all vertices lie on one line")
	}
	// A spike (the ring runs out and straight back) is reported here by
	// its tip; the edge sweep would only see its base touching itself.
	m := len(pts) - 1
	for k := range m {
		prev, v, next := pts[(k+m-1)%m], pts[k], pts[k+1]
		if orientPt(prev, v, next) == 0 && (prev[0]-v[0])*(next[0]-v[0])+(prev[1]-v[1])*(next[1]-v[1]) > 0 {
			return nil, nil, valInvalid(poly, ri, idx[k], "ring doubles back on itself (spike at this vertex)")
		}
	}
	return pts, idx, nil
}

// valCollinear reports whether all points lie on the line through pts[0] and
// the point farthest from it, within 1e-9° (about 0.1 mm).
func valCollinear(pts []orb.Point) bool {
	a := pts[0]
	far, best := a, 0.0
	for _, p := range pts {
		if d := math.Hypot(p[0]-a[0], p[1]-a[1]); d > best {
			far, best = p, d
		}
	}
	if best == 0 {
		return true
	}
	for _, p := range pts {
		if math.Abs(orientDetPt(a, far, p))/best > 1e-9 {
			return false
		}
	}
	return true
}

type valContact uint8

const (
	valNoContact   valContact = iota
	valCrossing               // interiors cross at one point
	valTouching               // meet at a point that is an endpoint of one of them
	valOverlapping            // collinear and share a stretch of positive length
)

func valSegContact(p1, p2, q1, q2 orb.Point) valContact {
	d1, d2 := orientPt(q1, q2, p1), orientPt(q1, q2, p2)
	d3, d4 := orientPt(p1, p2, q1), orientPt(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return valCrossing
	}
	if d1 == 0 && d2 == 0 && d3 == 0 && d4 == 0 {
		// Collinear: compare the projections on the longer axis.
		ax := 0
		if math.Abs(p2[0]-p1[0])+math.Abs(q2[0]-q1[0]) < math.Abs(p2[1]-p1[1])+math.Abs(q2[1]-q1[1]) {
			ax = 1
		}
		lo := math.Max(math.Min(p1[ax], p2[ax]), math.Min(q1[ax], q2[ax]))
		hi := math.Min(math.Max(p1[ax], p2[ax]), math.Max(q1[ax], q2[ax]))
		switch {
		case hi > lo:
			return valOverlapping
		case hi == lo:
			return valTouching
		}
		return valNoContact
	}
	if onSegmentPt(q1, q2, p1) || onSegmentPt(q1, q2, p2) || onSegmentPt(p1, p2, q1) || onSegmentPt(p1, p2, q2) {
		return valTouching
	}
	return valNoContact
}

// sweep calls visit for every pair of edges whose bounding boxes overlap,
// in a deterministic order, until visit returns false. Edges are sorted
// by minX and each is compared only with those starting before it ends,
// so a ring of n edges costs O(n log n) plus the pairs that truly
// overlap in x — a few per edge for boundary-like rings.
func valSweep(es []valEdge, visit func(a, b *valEdge) bool) {
	slices.SortFunc(es, func(a, b valEdge) int {
		if a.minX != b.minX {
			if a.minX < b.minX {
				return -1
			}
			return 1
		}
		if a.part != b.part {
			return a.part - b.part
		}
		if a.ring != b.ring {
			return a.ring - b.ring
		}
		return a.i - b.i
	})
	for i := range es {
		a := &es[i]
		for j := i + 1; j < len(es) && es[j].minX <= a.maxX; j++ {
			b := &es[j]
			if b.maxY < a.minY || b.minY > a.maxY {
				continue
			}
			if !visit(a, b) {
				return
			}
		}
	}
}

// valPairs calls visit for every pair of edges whose bounding boxes
// overlap, in a deterministic order, until visit returns false. Edges are
// bucketed in a uniform grid whose cell is about twice the mean edge
// extent, so a boundary-like ring costs O(n log n) (the sort of bucket
// entries) plus a few pair tests per edge; each pair is visited once, in
// the cell holding the lower-left corner of the overlap of their boxes.
// Very long edges (which would fill many cells) fall back to valSweep.
func valPairs(es []valEdge, visit func(a, b *valEdge) bool) {
	n := len(es)
	if n < 64 {
		for i := range es {
			for j := i + 1; j < n; j++ {
				a, b := &es[i], &es[j]
				if a.maxX < b.minX || b.maxX < a.minX || a.maxY < b.minY || b.maxY < a.minY {
					continue
				}
				if !visit(a, b) {
					return
				}
			}
		}
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	ext := 0.0
	for i := range es {
		e := &es[i]
		minX, minY = math.Min(minX, e.minX), math.Min(minY, e.minY)
		maxX, maxY = math.Max(maxX, e.maxX), math.Max(maxY, e.maxY)
		ext += math.Max(e.maxX-e.minX, e.maxY-e.minY)
	}
	w, h := maxX-minX, maxY-minY
	cell := 2 * ext / float64(n)
	if !(cell > 0) {
		cell = math.Max(w, h)
	}
	if !(cell > 0) {
		cell = 1
	}
	// At most ~4n cells: more only costs memory for empty ones.
	if c := (w/cell + 1) * (h/cell + 1); c > 4*float64(n) {
		cell *= math.Sqrt(c / (4 * float64(n)))
	}
	gx := int(w/cell) + 1
	gy := int(h/cell) + 1
	cx := func(x float64) int { return min(int((x-minX)/cell), gx-1) }
	cy := func(y float64) int { return min(int((y-minY)/cell), gy-1) }
	total := 0
	for i := range es {
		e := &es[i]
		total += (cx(e.maxX) - cx(e.minX) + 1) * (cy(e.maxY) - cy(e.minY) + 1)
	}
	if total > 32*n {
		valSweep(es, visit)
		return
	}
	keys := make([]uint64, 0, total)
	for i := range es {
		e := &es[i]
		for y := cy(e.minY); y <= cy(e.maxY); y++ {
			for x := cx(e.minX); x <= cx(e.maxX); x++ {
				keys = append(keys, uint64(y*gx+x)<<32|uint64(i))
			}
		}
	}
	slices.Sort(keys)
	for lo := 0; lo < len(keys); {
		c := keys[lo] >> 32
		hi := lo + 1
		for hi < len(keys) && keys[hi]>>32 == c {
			hi++
		}
		for p := lo; p < hi; p++ {
			a := &es[uint32(keys[p])]
			for q := p + 1; q < hi; q++ {
				b := &es[uint32(keys[q])]
				if a.maxX < b.minX || b.maxX < a.minX || a.maxY < b.minY || b.maxY < a.minY {
					continue
				}
				if uint64(cy(math.Max(a.minY, b.minY))*gx+cx(math.Max(a.minX, b.minX))) != c {
					continue // visited in another cell
				}
				if !visit(a, b) {
					return
				}
			}
		}
		lo = hi
	}
}

func validatePolygonAt(poly int, p orb.Polygon) error {
	if len(p) == 0 {
		return errs.E(errs.Invalid, fmt.Sprintf("polygon %d", poly), "has no rings")
	}
	rings := make([][]orb.Point, len(p))
	idxs := make([][]int, len(p))
	n := 0
	for ri, r := range p {
		pts, idx, err := valCleanRing(poly, ri, r)
		if err != nil {
			return err
		}
		rings[ri], idxs[ri] = pts, idx
		n += len(pts) - 1
	}
	es := make([]valEdge, 0, n)
	nEdges := make([]int, len(p))
	for ri, pts := range rings {
		nEdges[ri] = len(pts) - 1
		for i := 0; i+1 < len(pts); i++ {
			es = append(es, newValEdge(pts[i], pts[i+1], poly, ri, i, idxs[ri][i]))
		}
	}
	var found error
	valPairs(es, func(a, b *valEdge) bool {
		if a.ring == b.ring {
			found = valSelfContact(poly, nEdges[a.ring], a, b)
		} else {
			found = valRingContact(poly, a, b)
		}
		return found == nil
	})
	if found != nil {
		return found
	}
	// No crossings or shared edges remain, so each hole is wholly inside
	// or wholly outside any other ring; one sample point decides which.
	for h := 1; h < len(rings); h++ {
		v, loc := valSampleAgainst(rings[h], idxs[h], rings[0])
		switch loc {
		case 0:
			return valInvalid(poly, h, 0, "hole lies on the shell's boundary")
		case -1:
			return valInvalid(poly, h, v, "hole is outside its shell")
		}
		for o := 1; o < len(rings); o++ {
			if o == h {
				continue
			}
			if v, loc := valSampleAgainst(rings[h], idxs[h], rings[o]); loc >= 0 {
				return valInvalid(poly, h, v, "hole is inside or on hole %d (holes must not overlap)", o)
			}
		}
	}
	return nil
}

// valSelfContact judges two edges of one ring (n edges, closing edge n-1
// adjacent to edge 0). Adjacent edges share a vertex, which is fine
// unless the ring doubles back along itself.
func valSelfContact(poly, n int, a, b *valEdge) error {
	if a.i > b.i {
		a, b = b, a
	}
	c := valSegContact(a.a, a.b, b.a, b.b)
	if c == valNoContact {
		return nil
	}
	adjacent := b.i == a.i+1 || (a.i == 0 && b.i == n-1)
	if adjacent {
		if c != valOverlapping {
			return nil
		}
		at := b.v
		if a.i == 0 && b.i == n-1 {
			at = a.v
		}
		return valInvalid(poly, a.ring, at, "ring doubles back on itself (spike at this vertex)")
	}
	switch c {
	case valCrossing:
		return valInvalid(poly, a.ring, a.v, "ring crosses itself: edge from vertex %d crosses edge from vertex %d", a.v, b.v)
	case valOverlapping:
		return valInvalid(poly, a.ring, a.v, "ring overlaps itself: edge from vertex %d runs along edge from vertex %d", a.v, b.v)
	}
	return valInvalid(poly, a.ring, a.v, "ring touches itself: edge from vertex %d meets edge from vertex %d", a.v, b.v)
}

// valRingContact judges edges of two different rings of one polygon.
func valRingContact(poly int, a, b *valEdge) error {
	if a.ring > b.ring {
		a, b = b, a
	}
	what := "hole"
	if a.ring == 0 {
		what = "shell"
	}
	switch valSegContact(a.a, a.b, b.a, b.b) {
	case valCrossing:
		return valInvalid(poly, b.ring, b.v, "hole crosses the %s (ring %d) at its edge from vertex %d", what, a.ring, a.v)
	case valOverlapping:
		return valInvalid(poly, b.ring, b.v, "hole shares an edge segment with the %s (ring %d, edge from vertex %d)", what, a.ring, a.v)
	}
	return nil
}

// valBoundaryTolDeg is how close (in degrees, about 0.1 mm) a point must be
// to a ring to count as on it when sampling points against rings, and how
// far edges of different MultiPolygon parts must reach past each other to
// count as crossing. Shared boundaries built by float arithmetic (a
// computed midpoint, 118.6+0.01·i) are off by an ulp or two; without the
// slack they would read as overlaps.
const valBoundaryTolDeg = 1e-9

// valPointInRing is 1 when pt is strictly inside the closed ring, 0 on its
// boundary (within valBoundaryTolDeg) and -1 outside (even-odd count).
func valPointInRing(pt orb.Point, ring []orb.Point) int {
	const tol = valBoundaryTolDeg
	in := false
	for i := 0; i+1 < len(ring); i++ {
		a, b := ring[i], ring[i+1]
		if pt[0] >= math.Min(a[0], b[0])-tol && pt[0] <= math.Max(a[0], b[0])+tol &&
			pt[1] >= math.Min(a[1], b[1])-tol && pt[1] <= math.Max(a[1], b[1])+tol &&
			math.Abs(orientDetPt(a, b, pt)) <= tol*math.Hypot(b[0]-a[0], b[1]-a[1]) {
			return 0
		}
		if (a[1] > pt[1]) != (b[1] > pt[1]) {
			x := a[0] + (pt[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if pt[0] < x {
				in = !in
			}
		}
	}
	if in {
		return 1
	}
	return -1
}

// valCrossesBy reports whether segments p and q properly cross with every
// endpoint more than valBoundaryTolDeg from the other segment's line.
func valCrossesBy(p1, p2, q1, q2 orb.Point) bool {
	side := func(a, b, c orb.Point) int {
		o := orientDetPt(a, b, c)
		if math.Abs(o) <= valBoundaryTolDeg*math.Hypot(b[0]-a[0], b[1]-a[1]) {
			return 0
		}
		return sgn(o)
	}
	return side(q1, q2, p1)*side(q1, q2, p2) < 0 && side(p1, p2, q1)*side(p1, p2, q2) < 0
}

// valSampleAgainst locates ring r against ring o using the first vertex, or
// failing that edge midpoint, of r that is not on o's boundary; it returns
// that vertex's original index and the location (0 if every sample lies on
// o's boundary).
func valSampleAgainst(r []orb.Point, idx []int, o []orb.Point) (int, int) {
	for i := 0; i+1 < len(r); i++ {
		if loc := valPointInRing(r[i], o); loc != 0 {
			return idx[i], loc
		}
	}
	for i := 0; i+1 < len(r); i++ {
		m := orb.Point{(r[i][0] + r[i+1][0]) / 2, (r[i][1] + r[i+1][1]) / 2}
		if loc := valPointInRing(m, o); loc != 0 {
			return idx[i], loc
		}
	}
	return idx[0], 0
}

// valInPolygon is 1 strictly inside p (inside the shell, outside every
// hole), 0 on any ring, -1 outside.
func valInPolygon(pt orb.Point, p [][]orb.Point) int {
	loc := valPointInRing(pt, p[0])
	if loc <= 0 {
		return loc
	}
	for _, h := range p[1:] {
		switch valPointInRing(pt, h) {
		case 1:
			return -1
		case 0:
			return 0
		}
	}
	return 1
}

// valPartsOverlap reports the first pair of MultiPolygon parts whose
// interiors overlap. Parts are individually valid here. Evidence of
// overlap: boundaries that cross; a vertex or edge midpoint of one strictly
// inside the other; or one part's boundary lying wholly on the other's
// (coincident parts).
func valPartsOverlap(mp orb.MultiPolygon) error {
	if len(mp) < 2 {
		return nil
	}
	parts := make([][][]orb.Point, len(mp))
	idxs := make([][][]int, len(mp))
	boxes := make([]orb.Bound, len(mp))
	var es []valEdge
	for pi, p := range mp {
		for ri, r := range p {
			// Already validated: only remove repeats.
			pts, idx, _ := valCleanRing(pi, ri, r)
			parts[pi] = append(parts[pi], pts)
			idxs[pi] = append(idxs[pi], idx)
			for i := 0; i+1 < len(pts); i++ {
				es = append(es, newValEdge(pts[i], pts[i+1], pi, ri, i, idx[i]))
			}
		}
		boxes[pi] = p[0].Bound()
	}
	var found error
	valPairs(es, func(a, b *valEdge) bool {
		if a.part == b.part {
			return true
		}
		if a.part > b.part {
			a, b = b, a
		}
		if valCrossesBy(a.a, a.b, b.a, b.b) {
			found = valInvalid(b.part, b.ring, b.v, "overlaps polygon %d: its edge crosses polygon %d ring %d edge from vertex %d", a.part, a.part, a.ring, a.v)
			return false
		}
		return true
	})
	if found != nil {
		return found
	}
	for i := range parts {
		for j := i + 1; j < len(parts); j++ {
			if !boxes[i].Intersects(boxes[j]) {
				continue
			}
			if v, what, ok := valPartInside(parts[j], idxs[j], parts[i], boxes[i]); ok {
				return valInvalid(j, 0, v, "overlaps polygon %d: this %s lies inside it", i, what)
			}
			if v, what, ok := valPartInside(parts[i], idxs[i], parts[j], boxes[j]); ok {
				return valInvalid(j, 0, 0, "overlaps polygon %d: its %s %d lies inside this polygon", i, what, v)
			}
			if valOnBoundary(parts[j][0], parts[i]) && valOnBoundary(parts[i][0], parts[j]) {
				return valInvalid(j, 0, 0, "coincides with polygon %d", i)
			}
		}
	}
	return nil
}

// valPartInside finds a shell vertex or shell edge midpoint of a strictly
// inside polygon b (whose shell's bound is bb).
func valPartInside(a [][]orb.Point, idx [][]int, b [][]orb.Point, bb orb.Bound) (int, string, bool) {
	s := a[0]
	for i := 0; i+1 < len(s); i++ {
		if bb.Contains(s[i]) && valInPolygon(s[i], b) == 1 {
			return idx[0][i], "vertex", true
		}
		m := orb.Point{(s[i][0] + s[i+1][0]) / 2, (s[i][1] + s[i+1][1]) / 2}
		if bb.Contains(m) && valInPolygon(m, b) == 1 {
			return idx[0][i], "edge (from vertex)", true
		}
	}
	return 0, "", false
}

// valOnBoundary reports whether every vertex and edge midpoint of ring r lies
// on some ring of p.
func valOnBoundary(r []orb.Point, p [][]orb.Point) bool {
	for i := 0; i+1 < len(r); i++ {
		m := orb.Point{(r[i][0] + r[i+1][0]) / 2, (r[i][1] + r[i+1][1]) / 2}
		if valInPolygon(r[i], p) != 0 || valInPolygon(m, p) != 0 {
			return false
		}
	}
	return true
}
