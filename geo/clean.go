package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// RingFixKind says what CleanRing changed (or found and left alone).
type RingFixKind uint8

const (
	// FixRepeatedPoint: a vertex equal to the one before it, dropped.
	FixRepeatedPoint RingFixKind = iota + 1
	// FixSpike: a vertex where the ring runs out and back (exactly along
	// itself, or at an angle sharper than CleanOptions.SpikeDeg), dropped
	// with the thin triangle it closed.
	FixSpike
	// FixSelfIntersection: the ring crosses, touches or runs along itself;
	// it is cut into simple loops at those points.
	FixSelfIntersection
	// FixCollapsed: nothing of the ring with an area is left (fewer than
	// three distinct vertices, or all on one line).
	FixCollapsed
)

func (k RingFixKind) String() string {
	switch k {
	case FixRepeatedPoint:
		return "repeated_point"
	case FixSpike:
		return "spike"
	case FixSelfIntersection:
		return "self_intersection"
	case FixCollapsed:
		return "collapsed"
	}
	return "unknown"
}

// RingFix is one change CleanRing made, or one it found and did not make.
type RingFix struct {
	Kind RingFixKind
	At   orb.Point // the dropped vertex, or where the ring meets itself
	// AreaM2 is the area of a dropped spike's tip triangle (0 for an exact
	// spike, a repeated point and a self-intersection, which moves no
	// area by itself; the caller measures what its loops add up to).
	AreaM2 float64
	// Kept: a sharp spike whose tip is larger than CleanOptions.MaxSpikeM2,
	// found and left as it is for a person to decide.
	Kept bool
}

// CleanOptions tune CleanRing.
type CleanOptions struct {
	// SpikeDeg: a vertex whose two edges leave it at less than this angle
	// (measured in a local equirectangular frame, so in metres, not
	// degrees of lon/lat) is a spike tip. 0 drops only exact spikes, where
	// the ring doubles back along itself.
	SpikeDeg float64
	// MaxSpikeM2: a sharp (not exact) spike whose tip triangle is larger
	// is kept and reported Kept. 0 means no limit.
	MaxSpikeM2 float64
}

// CleanRing turns a closed lon/lat ring into the simple closed rings it
// stands for, in the manner of PostGIS's ST_MakeValid (method
// "structure") and mapshaper's -clean:
//   - consecutive repeated vertices are dropped;
//   - spike tips (the ring runs out and straight back, or at an angle
//     below opts.SpikeDeg) are dropped, again until none is left;
//   - where the ring crosses, touches or runs along itself it is noded
//     (the crossing point inserted in both edges) and cut into loops at
//     every vertex it passes twice; each loop is cleaned again and loops
//     with no area are dropped.
//
// Each returned ring is closed, has at least three distinct vertices not
// all on one line and neither crosses nor touches itself; together they
// cover what the input ring enclosed (the caller unions a shell's loops and
// subtracts a hole's). The orientation of each loop is the input's walk
// and may differ between loops. A ring that needs none of this is
// returned unchanged (the same coordinates, not copied). Orientation and
// on-segment tests are this package's exact predicates; only the
// crossing points themselves are rounded to float64, so a loop may in rare
// degenerate cases still touch another one: callers validate the result.
func CleanRing(r orb.Ring, opts CleanOptions) ([]orb.Ring, []RingFix) {
	var fixes []RingFix
	if len(r) == 0 {
		return nil, []RingFix{{Kind: FixCollapsed}}
	}
	open := r
	if len(r) > 1 && r[0] == r[len(r)-1] {
		open = r[:len(r)-1] // the closing vertex is not a repeat
	}
	pts := make([]orb.Point, 0, len(open))
	for _, p := range open {
		if len(pts) > 0 && pts[len(pts)-1] == p {
			fixes = append(fixes, RingFix{Kind: FixRepeatedPoint, At: p})
			continue
		}
		pts = append(pts, p)
	}
	for len(pts) > 1 && pts[len(pts)-1] == pts[0] {
		fixes = append(fixes, RingFix{Kind: FixRepeatedPoint, At: pts[0]})
		pts = pts[:len(pts)-1]
	}
	changed := len(fixes) > 0 || len(open) == len(r)
	pts, spikes := despike(pts, opts)
	fixes = append(fixes, spikes...)
	for _, f := range spikes {
		if !f.Kept {
			changed = true
		}
	}
	if len(pts) < 3 || valCollinear(closed(pts)) {
		return nil, append(fixes, RingFix{Kind: FixCollapsed, At: first(pts, r)})
	}
	noded, at, ok := nodeRing(pts)
	if !ok {
		if !changed {
			return []orb.Ring{r}, fixes
		}
		return []orb.Ring{orb.Ring(closed(pts))}, fixes
	}
	fixes = append(fixes, RingFix{Kind: FixSelfIntersection, At: at})
	var out []orb.Ring
	for _, loop := range splitLoops(noded) {
		loop, more := despike(loop, opts)
		fixes = append(fixes, more...)
		if len(loop) < 3 || valCollinear(closed(loop)) {
			continue
		}
		out = append(out, orb.Ring(closed(loop)))
	}
	if len(out) == 0 {
		fixes = append(fixes, RingFix{Kind: FixCollapsed, At: at})
	}
	return out, fixes
}

func first(pts []orb.Point, r orb.Ring) orb.Point {
	if len(pts) > 0 {
		return pts[0]
	}
	return r[0]
}

// closed returns the open vertex list pts with its first vertex appended.
func closed(pts []orb.Point) []orb.Point {
	out := make([]orb.Point, len(pts)+1)
	copy(out, pts)
	out[len(pts)] = pts[0]
	return out
}

// despike drops spike tips from the open ring pts (no repeated vertices),
// with a stack so that a spike of several vertices collapses vertex by
// vertex, then across the seam between the last and first vertex.
func despike(pts []orb.Point, opts CleanOptions) ([]orb.Point, []RingFix) {
	var fixes []RingFix
	// tip judges v between prev and next: a spike to drop, one to keep, or none.
	tip := func(prev, v, next orb.Point) (drop bool) {
		if prev == next {
			fixes = append(fixes, RingFix{Kind: FixSpike, At: v, AreaM2: 0})
			return true
		}
		ax, ay, bx, by := prev[0]-v[0], prev[1]-v[1], next[0]-v[0], next[1]-v[1]
		if orientPt(prev, v, next) == 0 {
			if ax*bx+ay*by > 0 {
				fixes = append(fixes, RingFix{Kind: FixSpike, At: v})
				return true
			}
			return false
		}
		if opts.SpikeDeg <= 0 {
			return false
		}
		// Angle between the two edges in a local frame where a degree
		// of longitude is cos(lat) of a degree of latitude; the cross
		// product is the kernel's determinant on the scaled points.
		k := math.Cos(v[1] * math.Pi / 180)
		cross := orientDet(0, 0, ax*k, ay, bx*k, by)
		dot := ax*k*bx*k + ay*by
		if dot <= 0 || math.Atan2(math.Abs(cross), dot) >= opts.SpikeDeg*math.Pi/180 {
			return false
		}
		a := AreaM2(orb.Polygon{{prev, v, next, prev}})
		if opts.MaxSpikeM2 > 0 && a > opts.MaxSpikeM2 {
			fixes = append(fixes, RingFix{Kind: FixSpike, At: v, AreaM2: a, Kept: true})
			return false
		}
		fixes = append(fixes, RingFix{Kind: FixSpike, At: v, AreaM2: a})
		return true
	}
	kept := map[orb.Point]bool{} // tips reported Kept once, not at every pass
	judge := func(prev, v, next orb.Point) bool {
		n := len(fixes)
		drop := tip(prev, v, next)
		if n < len(fixes) && fixes[n].Kept {
			if kept[v] {
				fixes = fixes[:n]
			}
			kept[v] = true
		}
		return drop
	}
	st := make([]orb.Point, 0, len(pts))
	for _, p := range pts {
		st = append(st, p)
		for len(st) >= 3 && judge(st[len(st)-3], st[len(st)-2], st[len(st)-1]) {
			st = append(st[:len(st)-2], st[len(st)-1])
			if len(st) >= 2 && st[len(st)-1] == st[len(st)-2] {
				st = st[:len(st)-1]
			}
		}
	}
	// The seam: the last and first vertices with their circular neighbours.
	for changed := true; changed && len(st) >= 3; {
		changed = false
		n := len(st)
		if st[n-1] == st[0] {
			st = st[:n-1]
			changed = true
			continue
		}
		if judge(st[n-1], st[0], st[1]) {
			st = st[1:]
			changed = true
			continue
		}
		if judge(st[n-2], st[n-1], st[0]) {
			st = st[:n-1]
			changed = true
		}
	}
	return st, fixes
}

// node is a point inserted into an edge, at squared distance d from its start.
type node struct {
	p orb.Point
	d float64
}

// nodeRing finds where the open ring pts (no repeats, no spikes) meets
// itself other than at consecutive edges, and returns the vertex list
// with every such point inserted into the edges it lies on, plus the first
// such point; ok is false when the ring is simple. Inserting a rounded
// crossing point can, rarely, make a new contact; the noding is repeated
// a few times until none is left.
func nodeRing(pts []orb.Point) (out []orb.Point, at orb.Point, ok bool) {
	cur := pts
	for round := 0; round < 4; round++ {
		ring := closed(cur)
		n := len(cur)
		es := make([]valEdge, 0, n)
		for i := 0; i < n; i++ {
			es = append(es, newValEdge(ring[i], ring[i+1], 0, 0, i, i))
		}
		ins := map[int][]node{}
		inserted := 0
		add := func(e *valEdge, p orb.Point) {
			if p == e.a || p == e.b {
				return
			}
			ins[e.i] = append(ins[e.i], node{p, (p[0]-e.a[0])*(p[0]-e.a[0]) + (p[1]-e.a[1])*(p[1]-e.a[1])})
			inserted++
		}
		met := func(p orb.Point) {
			if !ok {
				at, ok = p, true
			}
		}
		valPairs(es, func(a, b *valEdge) bool {
			if a.i > b.i {
				a, b = b, a
			}
			adjacent := b.i == a.i+1 || (a.i == 0 && b.i == n-1)
			switch c := valSegContact(a.a, a.b, b.a, b.b); {
			case c == valNoContact, adjacent && c != valOverlapping:
			case c == valCrossing:
				x := crossPoint(a.a, a.b, b.a, b.b)
				add(a, x)
				add(b, x)
				met(x)
			default:
				// Touching or running along: each endpoint on the other
				// edge becomes a node of it. Edges meeting at a vertex
				// they share (the ring passes there twice) need none;
				// splitLoops cuts the ring there.
				for _, q := range []orb.Point{b.a, b.b} {
					if onSegmentPt(a.a, a.b, q) {
						add(a, q)
						met(q)
					}
				}
				for _, q := range []orb.Point{a.a, a.b} {
					if onSegmentPt(b.a, b.b, q) {
						add(b, q)
						met(q)
					}
				}
			}
			return true
		})
		if inserted == 0 {
			if !ok {
				return nil, orb.Point{}, false
			}
			return cur, at, true
		}
		next := make([]orb.Point, 0, n+inserted)
		for i := 0; i < n; i++ {
			next = append(next, cur[i])
			ns := ins[i]
			sortNodes(ns)
			for _, x := range ns {
				if x.p != next[len(next)-1] {
					next = append(next, x.p)
				}
			}
		}
		for len(next) > 1 && next[len(next)-1] == next[0] {
			next = next[:len(next)-1]
		}
		cur = next
	}
	return cur, at, true
}

func sortNodes(ns []node) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].d < ns[j-1].d; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// crossPoint is where segments p1p2 and q1q2, known to cross, meet,
// rounded to float64 and kept within both segments' bounding boxes.
func crossPoint(p1, p2, q1, q2 orb.Point) orb.Point {
	d := orientDet(0, 0, p2[0]-p1[0], p2[1]-p1[1], q2[0]-q1[0], q2[1]-q1[1])
	t := orientDet(0, 0, q1[0]-p1[0], q1[1]-p1[1], q2[0]-q1[0], q2[1]-q1[1]) / d
	t = math.Max(0, math.Min(1, t))
	x := orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}
	clamp := func(v, a, b, c, d float64) float64 {
		lo := math.Max(math.Min(a, b), math.Min(c, d))
		hi := math.Min(math.Max(a, b), math.Max(c, d))
		if lo > hi {
			return v
		}
		return math.Max(lo, math.Min(hi, v))
	}
	x[0] = clamp(x[0], p1[0], p2[0], q1[0], q2[0])
	x[1] = clamp(x[1], p1[1], p2[1], q1[1], q2[1])
	return x
}

// splitLoops cuts the open vertex list pts into loops at every vertex it
// passes more than once: walking it with a stack, a vertex already on
// the stack closes the loop from its earlier place.
func splitLoops(pts []orb.Point) [][]orb.Point {
	var loops [][]orb.Point
	st := make([]orb.Point, 0, len(pts))
	pos := map[orb.Point]int{}
	for _, p := range append(append([]orb.Point(nil), pts...), pts[0]) {
		if j, seen := pos[p]; seen {
			loop := append([]orb.Point(nil), st[j:]...)
			for _, q := range st[j+1:] {
				delete(pos, q)
			}
			st = st[:j+1]
			if len(loop) >= 3 {
				loops = append(loops, loop)
			}
			continue
		}
		pos[p] = len(st)
		st = append(st, p)
	}
	return loops
}
