// Package cells is the one rule by which a grid's polygon is built from
// its H3 cells, shared by the partitioner (gridplan/partition) and the
// planner's edits on stored units (gridplan): the cell resolution of a
// community, a cell's vertices, the union of cells by exact cancellation
// of shared edges, and the clip of that union by a region. Pure geometry:
// no HTTP, no SQL.
package cells

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/sfgeom"
)

// Resolutions: a grid should hold at least ~25 cells; urban communities are
// dense (res 11 ≈ 2,150 m² a cell), villages sparse (res 10 ≈ 15,000 m²).
// A community so dense that its grids would hold fewer cells gets a finer
// resolution, up to res 13 (≈ 44 m²); one resolution for a whole community.
const (
	UrbanRes     = 11
	RuralRes     = 10
	FinestRes    = 13
	CellsPerGrid = 25
	// MaxRefineRes is the finest resolution refinement goes to (res 15 ≈
	// 0.9 m², a cell about a metre across): buildings closer than that
	// stay together.
	MaxRefineRes = 15
	// MaxRefineCells bounds refinement: a community is not refined to a
	// resolution at which it would span more cells than this.
	MaxRefineCells = 4000
)

// BaseRes is the resolution for a community of kind and areaM2 planned
// into k grids.
func BaseRes(kind bundle.Kind, areaM2 float64, k int) int {
	res := UrbanRes
	if kind == bundle.Rural {
		res = RuralRes
	}
	for res < FinestRes && h3.HexagonAreaAvgM2(res)*CellsPerGrid*float64(k) > areaM2 {
		res++
	}
	return res
}

// HeavyCells counts the cells at res holding more than one building
// location and more than limit households: the cells refinement splits.
func HeavyCells(pts []orb.Point, hh []int, res int, limit float64) int {
	type agg struct {
		h     int
		first orb.Point
		multi bool
	}
	by := make(map[h3.Cell]*agg, len(pts))
	heavy := 0
	for i, p := range pts {
		c := Of(p, res)
		a := by[c]
		if a == nil {
			a = &agg{first: p}
			by[c] = a
		}
		before := a.multi && float64(a.h) > limit
		a.h += hh[i]
		if p != a.first {
			a.multi = true
		}
		if !before && a.multi && float64(a.h) > limit {
			heavy++
		}
	}
	return heavy
}

// RefineRes is the resolution a community of areaM2 planned at res needs
// so that every cell holds one building location or at most limit
// households: res raised one step at a time (each cell replaced by its
// children) while a heavy cell remains, up to MaxRefineRes and as long as
// the community stays within MaxRefineCells. Light communities keep res.
func RefineRes(pts []orb.Point, hh []int, res int, areaM2, limit float64) int {
	for res < MaxRefineRes && areaM2/h3.HexagonAreaAvgM2(res+1) <= MaxRefineCells && HeavyCells(pts, hh, res, limit) > 0 {
		res++
	}
	return res
}

// Of is the cell at res holding p.
func Of(p orb.Point, res int) h3.Cell { return h3.LatLngToCell(h3.LatLng{Lat: p[1], Lng: p[0]}, res) }

// Centre is a cell's centre as a lon/lat point.
func Centre(c h3.Cell) orb.Point {
	ll := h3.CellToLatLng(c)
	return orb.Point{ll.Lng, ll.Lat}
}

// Vertex is the vertex shared by three mutually adjacent cells a, b, c
// with centres pa, pb, pc: the centroid of the three centres (H3's
// hexagon vertex to centimetres, and no cgo call). The sum is taken in one
// order so that callers get the same bits: a first — the cell of smallest
// id among those the caller holds (the partitioner's cell table; Union
// holds all three) — then the other two counter-clockwise around it.
func Vertex(a, b, c h3.Cell, pa, pb, pc orb.Point) orb.Point {
	if (pb[0]-pa[0])*(pc[1]-pa[1])-(pb[1]-pa[1])*(pc[0]-pa[0]) < 0 {
		pb, pc = pc, pb
	}
	return orb.Point{(pa[0] + pb[0] + pc[0]) / 3, (pa[1] + pb[1] + pc[1]) / 3}
}

// Ring chains directed edges (next[v] = the vertex after v along a
// boundary, the region on the left) into closed rings and returns them as
// polygons: outer rings counter-clockwise, each hole under the smallest
// outer ring holding it. On a hexagonal lattice every vertex has degree
// three, so every chain is unique.
func Ring(next map[int32]int32, verts []orb.Point) orb.MultiPolygon {
	starts := make([]int32, 0, len(next))
	for v := range next {
		starts = append(starts, v)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	used := make(map[int32]bool, len(next))
	var outers, holes []orb.Ring
	for _, s := range starts {
		if used[s] {
			continue
		}
		ring := orb.Ring{verts[s]}
		v := s
		for {
			used[v] = true
			v = next[v]
			ring = append(ring, verts[v])
			if v == s {
				break
			}
		}
		if sfgeom.SignedArea(ring[:len(ring)-1]) > 0 {
			outers = append(outers, ring)
		} else {
			holes = append(holes, ring)
		}
	}
	mp := make(orb.MultiPolygon, len(outers))
	for i, o := range outers {
		mp[i] = orb.Polygon{o}
	}
	for _, h := range holes {
		best, bestArea := -1, math.Inf(1)
		for i, o := range outers {
			if planar.RingContains(o, h[0]) || planar.RingContains(o, midpoint(h[0], h[1])) {
				if a := math.Abs(sfgeom.SignedArea(o[:len(o)-1])); a < bestArea {
					best, bestArea = i, a
				}
			}
		}
		if best >= 0 {
			mp[best] = append(mp[best], h)
		}
	}
	return mp
}

func midpoint(a, b orb.Point) orb.Point { return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2} }

// Union is the union of cells, all of one resolution, as polygons built
// by exact cancellation of shared edges (the partitioner's rule: Vertex
// and Ring). Cells of several resolutions are unioned per resolution and
// the results overlaid.
func Union(ids []h3.Cell) (orb.MultiPolygon, error) {
	byRes := map[int][]h3.Cell{}
	for _, c := range ids {
		byRes[c.Resolution()] = append(byRes[c.Resolution()], c)
	}
	var out orb.MultiPolygon
	res := make([]int, 0, len(byRes))
	for r := range byRes {
		res = append(res, r)
	}
	sort.Ints(res)
	for i, r := range res {
		u := unionOne(byRes[r])
		if i == 0 {
			out = u
			continue
		}
		var err error
		if out, err = sfgeom.Union(out, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func unionOne(ids []h3.Cell) orb.MultiPolygon {
	in := make(map[h3.Cell]bool, len(ids))
	for _, c := range ids {
		in[c] = true
	}
	centres := make(map[h3.Cell]orb.Point, 3*len(ids))
	centre := func(c h3.Cell) orb.Point {
		p, ok := centres[c]
		if !ok {
			p = Centre(c)
			centres[c] = p
		}
		return p
	}
	type vkey [3]h3.Cell
	vindex := map[vkey]int32{}
	var verts []orb.Point
	next := map[int32]int32{}
	for c := range in {
		nbs, n := Neighbours(c, centre)
		if n != 6 {
			continue // a pentagon: never in a district
		}
		vx := func(j int) int32 {
			p, q := nbs[(j+5)%6], nbs[j]
			k := vkey{c, p, q}
			sort.Slice(k[:], func(i, j int) bool { return k[i] < k[j] })
			v, ok := vindex[k]
			if !ok {
				v = int32(len(verts))
				vindex[k] = v
				verts = append(verts, Vertex(k[0], k[1], k[2], centre(k[0]), centre(k[1]), centre(k[2])))
			}
			return v
		}
		for j := 0; j < 6; j++ {
			if in[nbs[j]] {
				continue
			}
			next[vx(j)] = vx((j + 1) % 6)
		}
	}
	return Ring(next, verts)
}

// Neighbours returns c's six neighbours counter-clockwise by angle from
// the east (edge j of c faces neighbour j and runs from the vertex shared
// with neighbours j-1 and j to the one shared with j and j+1), and how
// many there are (5 at a pentagon).
func Neighbours(c h3.Cell, centre func(h3.Cell) orb.Point) ([6]h3.Cell, int) {
	type nbr struct {
		id    h3.Cell
		angle float64
	}
	var nbs [6]nbr
	pc := centre(c)
	coslat := math.Cos(pc[1] * math.Pi / 180)
	nn := 0
	for _, d := range h3.GridDisk(c, 1) {
		if d != c && d != 0 && nn < 6 {
			p := centre(d)
			nbs[nn] = nbr{d, math.Atan2(p[1]-pc[1], (p[0]-pc[0])*coslat)}
			nn++
		}
	}
	for a := 1; a < nn; a++ {
		for b := a; b > 0 && nbs[b].angle < nbs[b-1].angle; b-- {
			nbs[b], nbs[b-1] = nbs[b-1], nbs[b]
		}
	}
	var out [6]h3.Cell
	for j := 0; j < nn; j++ {
		out[j] = nbs[j].id
	}
	return out, nn
}

// MinPartM2 is the area below which a polygon left by clipping is a
// numerical sliver rather than a piece of a grid.
const MinPartM2 = 1e-3

// DropSlivers removes the parts of mp under MinPartM2.
func DropSlivers(mp orb.MultiPolygon) orb.MultiPolygon {
	out := mp[:0:0]
	for _, p := range mp {
		if geo.AreaM2(p) > MinPartM2 {
			out = append(out, p)
		}
	}
	return out
}

// Clip is a union of cells cut to region (a community, or the grid the
// cells are taken from), without slivers: how a grid's polygon is made of
// cells that may cross region's boundary.
func Clip(u, region orb.MultiPolygon) (orb.MultiPolygon, error) {
	x, err := sfgeom.Intersection(sfgeom.FromOrb(u), sfgeom.FromOrb(region))
	if err != nil {
		return nil, err
	}
	return DropSlivers(x), nil
}

// Cover is the cells at res of region: every cell whose centre lies in
// region, and the cells holding pts (buildings). Sorted by id.
func Cover(region orb.MultiPolygon, res int, pts []orb.Point) []h3.Cell {
	seen := map[h3.Cell]bool{}
	for _, poly := range region {
		gp := h3.GeoPolygon{GeoLoop: loop(poly[0])}
		for _, h := range poly[1:] {
			gp.Holes = append(gp.Holes, loop(h))
		}
		for _, c := range h3.PolygonToCells(gp, res) {
			seen[c] = true
		}
	}
	for _, p := range pts {
		seen[Of(p, res)] = true
	}
	out := make([]h3.Cell, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func loop(r orb.Ring) h3.GeoLoop {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	out := make(h3.GeoLoop, n)
	for i := 0; i < n; i++ {
		out[i] = h3.LatLng{Lat: r[i][1], Lng: r[i][0]}
	}
	return out
}
