package partition

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan/cells"
)

// A community is cut into H3 cells, the atomic units of planning. The cell
// table holds every cell that may touch the community: the cells whose
// centre is inside (h3 polyfill), the cells holding a building, and a band
// of cells around the boundary. Cells of the band are the only ones that can
// cross the boundary, so only grids holding one need clipping.
//
// Shared vertices are identified by the three cells meeting there (hexagon
// vertices have degree three), so the union of a grid's cells is built by
// exact cancellation of shared edges, with no snapping tolerance. A cell's
// polygon is the dual of the triangulation of cell centres (each vertex the
// centroid of three centres), which is H3's hexagon to centimetres and
// costs no cgo call.

// The resolution rules live in gridplan/cells, shared with the planner's
// edits on stored units.
const (
	urbanRes       = cells.UrbanRes
	maxRefineCells = cells.MaxRefineCells
)

func cellRes(kind bundle.Kind, areaM2 float64, k int) int { return cells.BaseRes(kind, areaM2, k) }

func heavyCells(pts []orb.Point, hh []int, res int, limit float64) int {
	return cells.HeavyCells(pts, hh, res, limit)
}

func refineRes(pts []orb.Point, hh []int, res int, areaM2, limit float64) int {
	return cells.RefineRes(pts, hh, res, areaM2, limit)
}

type cell struct {
	id       h3.Cell
	center   orb.Point
	nb       [6]int32   // table index of the neighbour across edge i (vertex i → i+1), -1 when not in the table
	nbID     [6]h3.Cell // neighbour across edge i
	vx       [6]int32   // vertex i, index into cellTable.verts
	inside   bool       // centre inside the community (or holds a building): a graph node
	boundary bool       // may cross the community boundary
	node     int32      // graph node index, -1 for fringe cells
}

type cellTable struct {
	res   int
	cells []cell
	index map[h3.Cell]int32
	verts []orb.Point
	scr   ringScratch
	vid   map[orb.Point]int32 // vertex by point, built on first corner cut

	// The points the table was built to hold (the buildings) and their
	// cells, asked of h3 once (cellAt).
	extra     []orb.Point
	extraCell []h3.Cell
}

// cellAt is cellOf(p, t.res), taken from the table's points when p is
// its i-th.
func (t *cellTable) cellAt(i int, p orb.Point) h3.Cell {
	if i < len(t.extra) && t.extra[i] == p {
		return t.extraCell[i]
	}
	return cellOf(p, t.res)
}

func latLngOf(p orb.Point) h3.LatLng { return h3.LatLng{Lat: p[1], Lng: p[0]} }

func cellOf(p orb.Point, res int) h3.Cell { return cells.Of(p, res) }

// buildCells makes the cell table of region at res; extra are points (the
// buildings) whose cells must be nodes.
func buildCells(region orb.MultiPolygon, res int, extra []orb.Point) *cellTable {
	t := &cellTable{res: res}
	// The boundary band: sample every ring at one edge length. A point of
	// the ring is then within half an edge of a sample, and a hexagon is
	// √3 edges wide, so any cell the ring crosses is a sample's cell or
	// its neighbour.
	edgeDeg := h3.HexagonEdgeLengthAvgM(res) / 111320.0
	step := edgeDeg
	band := map[h3.Cell]bool{}
	for _, poly := range region {
		for _, ring := range poly {
			coslat := math.Cos(ring[0][1] * math.Pi / 180)
			for i := 0; i+1 < len(ring); i++ {
				a, b := ring[i], ring[i+1]
				d := math.Hypot((b[0]-a[0])*coslat, b[1]-a[1])
				n := int(math.Ceil(d / step))
				if n < 1 {
					n = 1
				}
				for j := 0; j < n; j++ {
					f := float64(j) / float64(n)
					band[h3.LatLngToCell(h3.LatLng{Lat: a[1] + f*(b[1]-a[1]), Lng: a[0] + f*(b[0]-a[0])}, res)] = true
				}
			}
		}
	}
	// Neighbourhoods and centres are asked for once per cell (cgo calls)
	// and kept for the table below.
	disks := make(map[h3.Cell][]h3.Cell, 4*len(band))
	disk := func(c h3.Cell) []h3.Cell {
		d, ok := disks[c]
		if !ok {
			d = h3.GridDisk(c, 1)
			disks[c] = d
		}
		return d
	}
	centers := make(map[h3.Cell]orb.Point, 4*len(band))
	center := func(c h3.Cell) orb.Point {
		p, ok := centers[c]
		if !ok {
			ll := h3.CellToLatLng(c)
			p = orb.Point{ll.Lng, ll.Lat}
			centers[c] = p
		}
		return p
	}
	// One map of flags per cell seen: in the band's ring (withRing), seen
	// by the flood, inside.
	const (
		fRing uint8 = 1 << iota
		fSeen
		fInside
	)
	flags := make(map[h3.Cell]uint8, 4*len(band))
	for c := range band {
		for _, d := range disk(c) {
			flags[d] |= fRing
		}
	}
	// Inside cells (centre inside the region, as h3's polyfill decides):
	// the band's by point-in-polygon; away from the band no cell crosses
	// the boundary, so a flood from the inside cells next to the band
	// through cells off the band finds the rest without testing them.
	bound := region.Bound()
	contains := func(p orb.Point) bool { return bound.Contains(p) && planar.MultiPolygonContains(region, p) }
	var queue []h3.Cell
	ring := make([]h3.Cell, 0, len(flags))
	for c := range flags {
		ring = append(ring, c)
	}
	slices.Sort(ring)
	for _, c := range ring {
		if contains(center(c)) {
			flags[c] |= fInside
		}
		for _, n := range disk(c) {
			if flags[n]&(fRing|fSeen) != 0 {
				continue
			}
			if contains(center(n)) {
				flags[n] = fSeen | fInside
				queue = append(queue, n)
			} else {
				flags[n] = fSeen
			}
		}
	}
	for len(queue) > 0 {
		c := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, n := range disk(c) {
			if flags[n]&(fRing|fSeen) == 0 {
				flags[n] = fSeen | fInside
				queue = append(queue, n)
			}
		}
	}
	t.extra = extra
	t.extraCell = make([]h3.Cell, len(extra))
	for i, p := range extra {
		t.extraCell[i] = h3.LatLngToCell(latLngOf(p), res)
		flags[t.extraCell[i]] |= fInside
	}
	all := make([]h3.Cell, 0, len(flags))
	for c, f := range flags {
		if f&(fRing|fInside) != 0 {
			all = append(all, c)
		}
	}
	// Sorted ids make the table, and so everything after it, deterministic.
	slices.Sort(all)
	t.cells = make([]cell, len(all))
	t.index = make(map[h3.Cell]int32, len(all))
	for i, c := range all {
		t.index[c] = int32(i)
		f := flags[c]
		t.cells[i] = cell{id: c, inside: f&fInside != 0, boundary: f&fRing != 0, node: -1}
	}
	t.verts = make([]orb.Point, 0, 2*len(t.cells)+64)
	for i := range t.cells {
		t.cells[i].center = center(t.cells[i].id)
	}
	centerOf := center
	type nbr struct {
		id    h3.Cell
		c     orb.Point
		angle float64
	}
	var nbs [6]nbr
	// A vertex is made by the first cell of the table meeting there; the
	// others find it among the vertices of a neighbour before them in the
	// table (a hexagon's vertex keys are its consecutive neighbour pairs).
	// Cells without six neighbours (pentagons) keep their keys in odd.
	hex := make([]bool, len(t.cells))
	var odd map[vkey]int32
	var keys [6]vkey
	for i := range t.cells {
		c := &t.cells[i]
		coslat := math.Cos(c.center[1] * math.Pi / 180)
		nn := 0
		for _, d := range disk(c.id) {
			if d != c.id && nn < 6 {
				p := centerOf(d)
				nbs[nn] = nbr{d, p, math.Atan2(p[1]-c.center[1], (p[0]-c.center[0])*coslat)}
				nn++
			}
		}
		hex[i] = nn == 6
		// Neighbours counter-clockwise; edge j faces neighbour j and runs
		// from vertex j (shared with neighbours j-1 and j) to vertex j+1.
		for a := 1; a < nn; a++ {
			for b := a; b > 0 && nbs[b].angle < nbs[b-1].angle; b-- {
				nbs[b], nbs[b-1] = nbs[b-1], nbs[b]
			}
		}
		for j := 0; j < 6; j++ {
			n := nbs[j%nn].id
			c.nbID[j] = n
			if k, ok := t.index[n]; ok {
				c.nb[j] = k
			} else {
				c.nb[j] = -1
			}
		}
		for j := 0; j < 6; j++ {
			p, q := nbs[(j+5)%6], nbs[j]
			k := vertexKey(c.id, p.id, q.id)
			keys[j] = k
			v := int32(-1)
			if !hex[i] {
				for jj := 0; jj < j && v < 0; jj++ {
					if keys[jj] == k {
						v = c.vx[jj]
					}
				}
			}
			for _, id := range [2]h3.Cell{p.id, q.id} {
				if v >= 0 {
					break
				}
				x, ok := int32(-1), true
				if hex[i] {
					x = c.nb[(j+5)%6]
					if id == q.id {
						x = c.nb[j]
					}
				} else if x, ok = t.index[id]; !ok {
					x = -1
				}
				if x >= 0 && x < int32(i) && hex[x] {
					v = t.cells[x].vertexOf(k, c.id)
				}
			}
			if v < 0 && odd != nil {
				if w, ok := odd[k]; ok {
					v = w
				}
			}
			if v < 0 {
				// The centroid of three mutually adjacent cell centres is
				// their shared vertex (to centimetres on H3's slightly
				// irregular hexagons); every cell meeting there uses this
				// one point, which is all exact cancellation needs.
				v = int32(len(t.verts))
				t.verts = append(t.verts, cells.Vertex(c.id, p.id, q.id, c.center, p.c, q.c))
			}
			if !hex[i] {
				if odd == nil {
					odd = map[vkey]int32{}
				}
				odd[k] = v
			}
			c.vx[j] = v
		}
	}
	return t
}

// vkey names a vertex by the three cells meeting there, sorted.
type vkey [3]h3.Cell

func vertexKey(a, b, c h3.Cell) vkey {
	k := vkey{a, b, c}
	if k[0] > k[1] {
		k[0], k[1] = k[1], k[0]
	}
	if k[1] > k[2] {
		k[1], k[2] = k[2], k[1]
	}
	if k[0] > k[1] {
		k[0], k[1] = k[1], k[0]
	}
	return k
}

// vertexOf returns the vertex of hexagon x keyed k, which cell c (a
// neighbour of x) meets, or -1.
func (x *cell) vertexOf(k vkey, c h3.Cell) int32 {
	for m := 0; m < 6; m++ {
		a, b := x.nbID[(m+5)%6], x.nbID[m]
		if (a == c || b == c) && vertexKey(x.id, a, b) == k {
			return x.vx[m]
		}
	}
	return -1
}

func sq(x float64) float64 { return x * x }

// unionRings returns the union of the cells of t whose owner is part, as
// polygons (outer ring CCW, holes CW, each closed). owner is indexed by
// table position.
//
// Vertices marked in cut (nil: none) have their corner cut
// (cuttableCorners).
func (t *cellTable) unionRings(owner []int32, part int32, members []int32, cut []bool) orb.MultiPolygon {
	next := map[int32]int32{}
	for _, ci := range members {
		c := &t.cells[ci]
		for j := 0; j < 6; j++ {
			if n := c.nb[j]; n >= 0 && owner[n] == part {
				continue
			}
			next[c.vx[j]] = c.vx[(j+1)%6]
		}
	}
	mp := cells.Ring(next, t.verts)
	if cut != nil {
		t.cutCorners(mp, cut)
	}
	return mp
}

// cutCorners replaces, in every ring of mp, each vertex marked in cut by
// the midpoints of its two edges (the ring's points are table vertices).
func (t *cellTable) cutCorners(mp orb.MultiPolygon, cut []bool) {
	if t.vid == nil {
		t.vid = make(map[orb.Point]int32, len(t.verts))
		for i, p := range t.verts {
			t.vid[p] = int32(i)
		}
	}
	for _, poly := range mp {
		for ri, r := range poly {
			n := len(r) - 1 // closed
			out := make(orb.Ring, 0, n+n/2+1)
			add := func(p orb.Point) {
				if len(out) == 0 || out[len(out)-1] != p {
					out = append(out, p)
				}
			}
			for i := 0; i < n; i++ {
				v, ok := t.vid[r[i]]
				if !ok || !cut[v] {
					add(r[i])
					continue
				}
				add(midpoint(r[(i+n-1)%n], r[i]))
				add(midpoint(r[i], r[(i+1)%n]))
			}
			if len(out) > 1 && out[len(out)-1] == out[0] {
				out = out[:len(out)-1]
			}
			poly[ri] = append(out, out[0])
		}
	}
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }
