package geo

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// Area is one coded polygon of a layer (a street, a community, a grid).
type Area struct {
	Code string
	Geom orb.MultiPolygon
}

// PolygonIndex answers "which area contains this point?" exactly, in tens of
// nanoseconds, without allocating. It is immutable after NewPolygonIndex
// and safe for concurrent use.
//
// # Tie rule
//
// A point belongs to area i when the point displaced by an infinitesimal
// amount east (and an even smaller amount north) lies inside area i by the
// even-odd rule over all rings of its MultiPolygon. Hence a point on an edge
// shared by two areas belongs to the area on the edge's east side (the north
// side for an east-west edge), and a shared vertex belongs to the area that
// the direction just counter-clockwise of due east enters. For areas that
// tile the plane every point belongs to exactly one of them.
//
// A point on a boundary that no area claims this way (the district's outer
// edge on its east and north sides, the rim of a hole or gap) belongs to the
// lowest-index area whose closed boundary contains it, so the whole closed
// district is inside. When areas overlap, the lowest index wins.
//
// All tests are exact for the float64 coordinates (filtered orientation
// predicates with an exact fallback), with no tolerance.
//
// # Method
//
// A uniform raster over the bounding box, sized from the edge count, stores
// for each cell either "inside area i"/"outside" (no edge touches the cell)
// or the edges that touch the cell with the candidate areas and their state
// at the cell's lower-left corner. A lookup in a mixed cell counts the
// crossings of those edges with the segment from the point to the corner,
// so its cost depends on the local edge density, not on the number of areas.
//
// Lookups read a compact copy of the mixed cells (edges rounded to a
// 1024² lattice per cell, 6 bytes an edge instead of 40), which answers
// unless the point lies within a lattice unit or so of an edge; then the
// exact blocks decide. The copy keeps a province-sized index's hot memory
// to about a quarter, which is what a lookup's latency depends on once the
// index outgrows the caches. See locate_compact.go for why its answers are
// the exact ones.
type PolygonIndex struct {
	areas []Area

	nx, ny       int
	x0, y0       float64
	invDx, invDy float64
	xs, ys       []float64 // cell boundaries, len nx+1 and ny+1

	// cells: ≥ 0 uniform, value-1 is the area (-1 outside); < 0 mixed, the
	// cell's block starts at mix[-v-1]. A block (see mixBlock) holds
	// everything a lookup reads, contiguously, so a lookup waits for at
	// most two memory loads: the cell word, then its block.
	cells  []int32
	mix    []uint64
	nMixed int
	nEdges int // distinct segments

	// The hot layer (locate_compact.go): hcells is cells with each mixed
	// cell pointing at its compact block in hot (offset 0: exact-only).
	hcells       []int32
	hot          []byte
	invUx, invUy float64 // lattice units per degree
	nCompact     int

	edges []edge // during build only

	cosLat float64 // cos of the bbox centre latitude, for sizing
}

// edge is a boundary segment with the one or two areas it bounds (a
// segment shared by two areas of a tiling is stored once).
type edge struct {
	ax, ay, bx, by float64
	area, area2    int32 // area2 -1 when only one area has this segment
}

// A mixed cell's block in mix, in 8-byte words:
//
//	word 0: edge count << 8 | candidate count (overFull when > 64)
//	word 1: the candidates' states at the cell's lower-left corner as bits
//	the candidate areas, ascending, two to a word (low half first)
//	per edge five words: ax, ay, bx, by (float64 bits), then meta (below)
//
// An over-full block is word 0 (count << 8 | overFull), then the
// candidates one to a word. The areas of an edge are its candidates, so
// no area ids or per-cell headers beyond these two words are stored.
const overFull = 0xff

const edgeWords = 5

// meta packs an edge's candidate slots (6 bits each), whether it has a
// second area, and the side of the cell's reference corner (sideP+1).
func packMeta(bit, bit2 uint8, has2 bool, sideR int) uint64 {
	m := uint64(bit) | uint64(bit2)<<6 | uint64(sideR+1)<<13
	if has2 {
		m |= 1 << 12
	}
	return m
}

// metaToggle is the candidate bits crossing the edge flips.
func metaToggle(m uint64) uint64 {
	return 1<<(m&63) | (m>>12&1)<<(m>>6&63)
}

func metaSideR(m uint64) int8 { return int8(m>>13&3) - 1 }

// blockCand is candidate i of a block's packed candidate words.
func blockCand(cands []uint64, i uint64) int {
	return int(int32(uint32(cands[i>>1] >> (32 * (i & 1)))))
}

// mixBlock decodes the block at o: the candidate count, the corner states,
// the packed candidates and the edges (edgeWords words each). For an
// over-full cell nc > 64, the candidates are one to a word and es is nil.
func (ix *PolygonIndex) mixBlock(o uint32) (nc int, base uint64, cands, es []uint64) {
	m := ix.mix
	w0 := m[o]
	if w0&0xff == overFull {
		n := uint32(w0 >> 8)
		return int(n), 0, m[o+1 : o+1+n], nil
	}
	n := uint32(w0 & 0xff)
	ne := uint32(w0 >> 8)
	p := o + 2 + (n+1)/2
	return int(n), m[o+1], m[o+2 : p], m[p : p+edgeWords*ne]
}

// cellsPerEdge sets the raster resolution for layers too large for
// minRasterCells to matter: enough cells per distinct edge to keep most
// cells uniform and mixed cells short. Fewer, fuller cells shrink the hot
// layer but cost more arithmetic per lookup than the memory saves; more
// cells cost memory for nothing. The measurements behind the value are in
// geo/README.md ("Sizing constants").
const cellsPerEdge = 4

// minRasterCells is the raster size below which cells cost nothing worth
// saving (512 KB of cell words).
const minRasterCells = 1 << 17

// maxRasterCells bounds memory for huge inputs (~4 bytes a cell).
const maxRasterCells = 1 << 24

// NewPolygonIndex builds the index over areas; Locate returns indices into
// areas. It rejects non-finite coordinates, coordinates outside lon
// [-180,180] / lat [-90,90] and rings of fewer than 4 points, naming the
// area, polygon, ring and vertex. Areas with empty geometry are never
// located.
func NewPolygonIndex(areas []Area) (*PolygonIndex, error) {
	return newPolygonIndex(areas, cellsPerEdge, minRasterCells)
}

// transientRasterCells is NewTransientPolygonIndex's raster floor.
const transientRasterCells = 1 << 10

// NewTransientPolygonIndex is NewPolygonIndex for an index built for one
// short task and dropped (a planner edit recounting a few grids): the same
// answers (the raster only speeds lookups up), with cellsPerEdge cells an
// edge and a floor of transientRasterCells instead of minRasterCells, so
// that building it costs in proportion to its edges rather than a fixed
// 2^17 cells; lookups in a small layer's coarser cells are a little
// slower, which a few thousand lookups do not notice.
func NewTransientPolygonIndex(areas []Area) (*PolygonIndex, error) {
	return newPolygonIndex(areas, cellsPerEdge, transientRasterCells)
}

func newPolygonIndex(areas []Area, cellsPerEdge, minCells float64) (*PolygonIndex, error) {
	ix := &PolygonIndex{areas: append([]Area(nil), areas...)}
	seen := map[[4]float64]int{}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for i, a := range areas {
		for pi, poly := range a.Geom {
			for ri, ring := range poly {
				if len(ring) < 4 {
					return nil, errs.E(errs.Invalid, areaField(i, a.Code, pi, ri, -1), "ring has %d points, need at least 4", len(ring))
				}
				for vi, p := range ring {
					if err := CheckLonLat(p[0], p[1]); err != nil {
						return nil, errs.E(errs.Invalid, areaField(i, a.Code, pi, ri, vi), "%s", errMsg(err))
					}
				}
				n := len(ring)
				for k := 0; k < n; k++ {
					p, q := ring[k], ring[(k+1)%n]
					if p == q {
						continue // closing point or repeated vertex
					}
					ix.addEdge(seen, p, q, int32(i))
					minX, maxX = math.Min(minX, math.Min(p[0], q[0])), math.Max(maxX, math.Max(p[0], q[0]))
					minY, maxY = math.Min(minY, math.Min(p[1], q[1])), math.Max(maxY, math.Max(p[1], q[1]))
				}
			}
		}
	}
	if len(areas) > math.MaxInt32-1 {
		return nil, errs.E(errs.TooLarge, "areas", "%d areas is too many", len(areas))
	}
	if len(ix.edges) == 0 {
		ix.nx, ix.ny = 0, 0
		ix.xs, ix.ys = []float64{0}, []float64{0}
		return ix, nil
	}
	if err := ix.build(minX, minY, maxX, maxY, cellsPerEdge, minCells); err != nil {
		return nil, err
	}
	ix.nEdges = len(ix.edges)
	ix.edges = nil
	return ix, nil
}

// addEdge records segment p–q of area a, merging it with the same segment
// of another area (either direction).
func (ix *PolygonIndex) addEdge(seen map[[4]float64]int, p, q orb.Point, a int32) {
	k := [4]float64{p[0], p[1], q[0], q[1]}
	if p[0] > q[0] || (p[0] == q[0] && p[1] > q[1]) {
		k = [4]float64{q[0], q[1], p[0], p[1]}
	}
	if j, ok := seen[k]; ok {
		if e := &ix.edges[j]; e.area2 < 0 && e.area != a {
			e.area2 = a
			return
		}
	}
	seen[k] = len(ix.edges)
	ix.edges = append(ix.edges, edge{k[0], k[1], k[2], k[3], a, -1})
}

func areaField(i int, code string, pi, ri, vi int) string {
	s := fmt.Sprintf("areas[%d]", i)
	if code != "" {
		s += fmt.Sprintf(" (%s)", code)
	}
	s += fmt.Sprintf(" polygon %d ring %d", pi, ri)
	if vi >= 0 {
		s += fmt.Sprintf(" vertex %d", vi)
	}
	return s
}

// Len is the number of areas.
func (ix *PolygonIndex) Len() int { return len(ix.areas) }

// Area returns the i-th area as given to NewPolygonIndex.
func (ix *PolygonIndex) Area(i int) Area { return ix.areas[i] }

// build makes the raster in phases: size it, list the edges touching each
// cell, find which areas contain each cell's lower-left corner by a sweep
// per row, and write each cell (uniform, or a mixed block), then the hot
// layer.
func (ix *PolygonIndex) build(minX, minY, maxX, maxY, cellsPerEdge, minCells float64) error {
	ix.sizeRaster(minX, minY, maxX, maxY, cellsPerEdge, minCells)
	counts, byCell := ix.edgesByCell()
	rowEvents := ix.cornerEvents()
	if err := ix.fillCells(counts, byCell, rowEvents); err != nil {
		return err
	}
	// exact size: append's spare capacity would be a large index's slack
	ix.mix = slices.Clone(ix.mix)
	ix.buildHot()
	return nil
}

// sizeRaster chooses the raster's columns and rows (about cellsPerEdge
// cells an edge, at least minCells, square cells in metres) and sets the
// cell boundaries.
func (ix *PolygonIndex) sizeRaster(minX, minY, maxX, maxY, cellsPerEdge, minCells float64) {
	ix.cosLat = math.Cos((minY + maxY) / 2 * math.Pi / 180)
	w, h := maxX-minX, maxY-minY
	wm, hm := w*ix.cosLat, h
	// Small layers get a finer raster than cellsPerEdge asks for: memory is
	// no concern below minRasterCells and more cells are uniform.
	target := math.Max(cellsPerEdge*float64(len(ix.edges)), minCells)
	if target > maxRasterCells {
		target = maxRasterCells
	}
	var nx, ny int
	switch {
	case wm <= 0 && hm <= 0:
		nx, ny = 1, 1
	case wm <= 0:
		nx, ny = 1, int(math.Ceil(target))
	case hm <= 0:
		nx, ny = int(math.Ceil(target)), 1
	default:
		nx = int(math.Ceil(math.Sqrt(target * wm / hm)))
		ny = int(math.Ceil(target / float64(nx)))
	}
	nx = min(max(nx, 1), 1<<15)
	ny = min(max(ny, 1), 1<<15)
	ix.nx, ix.ny = nx, ny
	dx, dy := w/float64(nx), h/float64(ny)
	if dx <= 0 {
		dx = 1e-9
	}
	if dy <= 0 {
		dy = 1e-9
	}
	ix.x0, ix.y0 = minX, minY
	ix.invDx, ix.invDy = 1/dx, 1/dy
	ix.xs = bounds(minX, dx, nx, maxX)
	ix.ys = bounds(minY, dy, ny, maxY)
}

// edgesByCell lists which edges touch which closed cells, in CSR form: the
// edges of cell c are byCell[counts[c]:counts[c+1]].
func (ix *PolygonIndex) edgesByCell() (counts, byCell []int32) {
	nx, ny := ix.nx, ix.ny
	type pair struct{ cell, edge int32 }
	var pairs []pair
	counts = make([]int32, nx*ny+1)
	for ei, e := range ix.edges {
		cx0, cx1 := ix.colRange(math.Min(e.ax, e.bx), math.Max(e.ax, e.bx))
		cy0, cy1 := ix.rowRange(math.Min(e.ay, e.by), math.Max(e.ay, e.by))
		for cy := cy0; cy <= cy1; cy++ {
			for cx := cx0; cx <= cx1; cx++ {
				if cx0 != cx1 && cy0 != cy1 && !segMayTouchRect(e, ix.xs[cx], ix.ys[cy], ix.xs[cx+1], ix.ys[cy+1]) {
					continue
				}
				c := int32(cy*nx + cx)
				pairs = append(pairs, pair{c, int32(ei)})
				counts[c+1]++
			}
		}
	}
	for c := 1; c <= nx*ny; c++ {
		counts[c] += counts[c-1]
	}
	byCell = make([]int32, len(pairs))
	fill := append([]int32(nil), counts[:nx*ny]...)
	for _, p := range pairs {
		byCell[fill[p.cell]] = p.edge
		fill[p.cell]++
	}
	return counts, byCell
}

// cornerEvent says that the corners of a row with column < j lie west of
// an edge of area, so crossing it toggles area.
type cornerEvent struct {
	j    int32
	area int32
}

// cornerEvents finds, per row line, the edges crossing it (half-open in y,
// the perturbed point's rule) and the first column whose corner is east
// of each.
func (ix *PolygonIndex) cornerEvents() [][]cornerEvent {
	nx := ix.nx
	rowEvents := make([][]cornerEvent, ix.ny)
	for _, e := range ix.edges {
		lo, hi := math.Min(e.ay, e.by), math.Max(e.ay, e.by)
		if lo == hi {
			continue
		}
		r0, r1 := ix.rowRange(lo, hi)
		lx, ly, hx, hy := e.ax, e.ay, e.bx, e.by
		if ly > hy {
			lx, ly, hx, hy = hx, hy, lx, ly
		}
		for r := r0; r <= r1; r++ {
			y := ix.ys[r]
			if !(lo <= y && y < hi) {
				continue
			}
			// first column whose corner is right of the upward edge
			j := sort.Search(nx, func(c int) bool { return sideP(lx, ly, hx, hy, ix.xs[c], y) < 0 })
			if j > 0 {
				rowEvents[r] = append(rowEvents[r], cornerEvent{int32(j), e.area})
				if e.area2 >= 0 {
					rowEvents[r] = append(rowEvents[r], cornerEvent{int32(j), e.area2})
				}
			}
		}
	}
	return rowEvents
}

// fillCells sweeps each row east to west, toggling the areas containing
// the current corner at each event, and writes each cell: uniform (the
// lowest area containing it, or outside) when no edge touches it, else a
// mixed block.
func (ix *PolygonIndex) fillCells(counts, byCell []int32, rowEvents [][]cornerEvent) error {
	nx, ny := ix.nx, ix.ny
	ix.cells = make([]int32, nx*ny)
	var inside []int32 // sorted areas containing the current corner
	toggle := func(a int32) {
		k := sort.Search(len(inside), func(i int) bool { return inside[i] >= a })
		if k < len(inside) && inside[k] == a {
			inside = append(inside[:k], inside[k+1:]...)
			return
		}
		inside = append(inside, 0)
		copy(inside[k+1:], inside[k:])
		inside[k] = a
	}
	var cand []int32
	for r := 0; r < ny; r++ {
		ev := rowEvents[r]
		sort.Slice(ev, func(a, b int) bool { return ev[a].j > ev[b].j })
		inside = inside[:0]
		k := 0
		for c := nx - 1; c >= 0; c-- {
			for k < len(ev) && int(ev[k].j) > c {
				toggle(ev[k].area)
				k++
			}
			cell := r*nx + c
			es := byCell[counts[cell]:counts[cell+1]]
			if len(es) == 0 {
				if len(inside) > 0 {
					ix.cells[cell] = inside[0] + 1
				}
				continue
			}
			cand = ix.candidates(cand[:0], inside, es)
			o := len(ix.mix)
			ix.writeBlock(cand, inside, es, ix.xs[c], ix.ys[r])
			if len(ix.mix) > math.MaxInt32 {
				return errs.E(errs.TooLarge, "areas", "index tables exceed %d words", math.MaxInt32)
			}
			ix.cells[cell] = -int32(o) - 1
			ix.nMixed++
		}
	}
	return nil
}

// candidates appends to dst, sorted and distinct, the areas containing the
// corner and the areas of the cell's edges.
func (ix *PolygonIndex) candidates(dst, inside, es []int32) []int32 {
	dst = append(dst, inside...)
	for _, ei := range es {
		dst = append(dst, ix.edges[ei].area)
		if a2 := ix.edges[ei].area2; a2 >= 0 {
			dst = append(dst, a2)
		}
	}
	sort.Slice(dst, func(a, b int) bool { return dst[a] < dst[b] })
	return dedup(dst)
}

// writeBlock appends a mixed cell's block (layout above mixBlock) for the
// candidates cand, the areas inside at the corner (rx, ry) and the edges es.
func (ix *PolygonIndex) writeBlock(cand, inside, es []int32, rx, ry float64) {
	if len(cand) > 64 || len(es) >= 1<<24 {
		// Over-full: no edges stored, Locate tests the candidates' whole
		// areas (slow but exact; only heavily overlapping input gets
		// there).
		ix.mix = append(ix.mix, uint64(len(cand))<<8|overFull)
		for _, a := range cand {
			ix.mix = append(ix.mix, uint64(a))
		}
		return
	}
	var base uint64
	for b, a := range cand {
		if contains32(inside, a) {
			base |= 1 << uint(b)
		}
	}
	ix.mix = append(ix.mix, uint64(len(es))<<8|uint64(len(cand)), base)
	for k := 0; k < len(cand); k += 2 {
		w := uint64(uint32(cand[k]))
		if k+1 < len(cand) {
			w |= uint64(uint32(cand[k+1])) << 32
		}
		ix.mix = append(ix.mix, w)
	}
	slot := func(a int32) uint8 {
		if a < 0 {
			return 0
		}
		return uint8(sort.Search(len(cand), func(i int) bool { return cand[i] >= a }))
	}
	for _, ei := range es {
		e := &ix.edges[ei]
		ix.mix = append(ix.mix, math.Float64bits(e.ax), math.Float64bits(e.ay), math.Float64bits(e.bx), math.Float64bits(e.by),
			packMeta(slot(e.area), slot(e.area2), e.area2 >= 0, sideP(e.ax, e.ay, e.bx, e.by, rx, ry)))
	}
}

func dedup(s []int32) []int32 {
	if len(s) < 2 {
		return s
	}
	n := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[n-1] {
			s[n] = s[i]
			n++
		}
	}
	return s[:n]
}

func contains32(s []int32, a int32) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}

// bounds returns n+1 increasing cell boundaries from x0 by d whose last one
// lies strictly beyond hi, so every x in [x0, hi] falls in a cell.
func bounds(x0, d float64, n int, hi float64) []float64 {
	b := make([]float64, n+1)
	for i := 0; i < n; i++ {
		b[i] = x0 + float64(i)*d
	}
	b[n] = math.Nextafter(math.Max(x0+float64(n)*d, hi), math.Inf(1))
	for i := n - 1; i > 0; i-- { // keep strictly increasing
		if b[i] >= b[i+1] {
			b[i] = math.Nextafter(b[i+1], math.Inf(-1))
		}
	}
	return b
}

// col returns the column whose half-open interval [xs[c], xs[c+1]) holds x,
// clamped to the raster.
func (ix *PolygonIndex) col(x float64) int {
	c := int((x - ix.x0) * ix.invDx)
	if c < 0 || x != x {
		c = 0
	}
	if c >= ix.nx {
		c = ix.nx - 1
	}
	for c > 0 && x < ix.xs[c] {
		c--
	}
	for c < ix.nx-1 && x >= ix.xs[c+1] {
		c++
	}
	return c
}

func (ix *PolygonIndex) row(y float64) int {
	r := int((y - ix.y0) * ix.invDy)
	if r < 0 || y != y {
		r = 0
	}
	if r >= ix.ny {
		r = ix.ny - 1
	}
	for r > 0 && y < ix.ys[r] {
		r--
	}
	for r < ix.ny-1 && y >= ix.ys[r+1] {
		r++
	}
	return r
}

// colRange is every column whose closed interval meets [lo, hi].
func (ix *PolygonIndex) colRange(lo, hi float64) (int, int) {
	a, b := ix.col(lo), ix.col(hi)
	if a > 0 && lo == ix.xs[a] {
		a--
	}
	return a, b
}

func (ix *PolygonIndex) rowRange(lo, hi float64) (int, int) {
	a, b := ix.row(lo), ix.row(hi)
	if a > 0 && lo == ix.ys[a] {
		a--
	}
	return a, b
}

// segMayTouchRect is a conservative test: false only when the closed
// rectangle certainly lies strictly on one side of the edge's line (the
// caller already knows the bounding boxes overlap).
func segMayTouchRect(e edge, x0, y0, x1, y1 float64) bool {
	dx, dy := e.bx-e.ax, e.by-e.ay
	tol := 1e-9 * (math.Abs(dx) + math.Abs(dy)) * ((x1 - x0) + (y1 - y0) + math.Abs(e.ax) + math.Abs(e.ay))
	pos, neg := false, false
	for _, c := range [4][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		d := dx*(c[1]-e.ay) - dy*(c[0]-e.ax)
		if d > -tol {
			pos = true
		}
		if d < tol {
			neg = true
		}
	}
	return pos && neg
}

// Locate returns the index of the area containing (lon, lat) under the tie
// rule of PolygonIndex, or ok=false when no area contains it (or the
// coordinates are NaN). It does not allocate.
func (ix *PolygonIndex) Locate(lon, lat float64) (i int, ok bool) {
	if !(lon >= ix.xs[0] && lon < ix.xs[ix.nx] && lat >= ix.ys[0] && lat < ix.ys[ix.ny]) {
		return -1, false
	}
	c := ix.col(lon)
	r := ix.row(lat)
	i = r*ix.nx + c
	v := ix.hcells[i]
	if v >= 0 {
		return int(v) - 1, v > 0
	}
	return ix.locateHot(uint32(-v-1), i, ix.xs[c], ix.ys[r], lon, lat)
}

// locateMixed counts the crossings of the cell's edges with the segment
// from the point to the cell's reference corner (rx, ry).
func (ix *PolygonIndex) locateMixed(o uint32, rx, ry, px, py float64) (int, bool) {
	nc, mask, cands, es := ix.mixBlock(o)
	if nc > 64 {
		return ix.locateSlowAmong(cands, px, py)
	}
	if px != rx || py != ry {
		for k := 0; k+edgeWords <= len(es); k += edgeWords {
			ax, ay := math.Float64frombits(es[k]), math.Float64frombits(es[k+1])
			bx, by := math.Float64frombits(es[k+2]), math.Float64frombits(es[k+3])
			meta := es[k+4]
			// sideP of the point, with orient's filter inlined: most
			// points are far from the edge's line and cost 6 flops.
			detl := (bx - ax) * (py - ay)
			detr := (by - ay) * (px - ax)
			det := detl - detr
			bound := ccwErrBoundA * (math.Abs(detl) + math.Abs(detr))
			var s int8
			switch {
			case det > bound:
				s = 1
			case det < -bound:
				s = -1
			default:
				s = int8(sideP(ax, ay, bx, by, px, py))
			}
			if s == metaSideR(meta) {
				continue
			}
			if sideL(px, py, rx, ry, ax, ay) != sideL(px, py, rx, ry, bx, by) {
				mask ^= metaToggle(meta)
			}
		}
	}
	if mask != 0 {
		return blockCand(cands, uint64(bits.TrailingZeros64(mask))), true
	}
	// Unclaimed by the half-open rule: on the closed boundary of a candidate?
	best := -1
	for k := 0; k+edgeWords <= len(es); k += edgeWords {
		ax, ay := math.Float64frombits(es[k]), math.Float64frombits(es[k+1])
		bx, by := math.Float64frombits(es[k+2]), math.Float64frombits(es[k+3])
		if onSegment(ax, ay, bx, by, px, py) {
			a, a2 := edgeAreas(cands, es[k+4])
			if best < 0 || a < best {
				best = a
			}
			if a2 >= 0 && a2 < best {
				best = a2
			}
		}
	}
	return best, best >= 0
}

// edgeAreas are the areas of an edge (a2 -1 when it has one).
func edgeAreas(cands []uint64, meta uint64) (a, a2 int) {
	a, a2 = blockCand(cands, meta&63), -1
	if meta>>12&1 != 0 {
		a2 = blockCand(cands, meta>>6&63)
	}
	return a, a2
}

// locateSlowAmong tests whole areas (for over-full cells).
func (ix *PolygonIndex) locateSlowAmong(areas []uint64, px, py float64) (int, bool) {
	for _, a := range areas {
		if containsHalfOpen(ix.areas[a].Geom, px, py) {
			return int(a), true
		}
	}
	for _, a := range areas {
		if onBoundary(ix.areas[a].Geom, px, py) {
			return int(a), true
		}
	}
	return -1, false
}

// containsHalfOpen is the reference point-in-polygon test under the tie
// rule: the even-odd crossing number of a ray from the perturbed point
// going east, over every ring of mp.
func containsHalfOpen(mp orb.MultiPolygon, px, py float64) bool {
	in := false
	for _, poly := range mp {
		for _, ring := range poly {
			n := len(ring)
			for k := 0; k < n; k++ {
				a, b := ring[k], ring[(k+1)%n]
				if (a[1] > py) == (b[1] > py) {
					continue
				}
				if a[1] > b[1] {
					a, b = b, a
				}
				if orient(a[0], a[1], b[0], b[1], px, py) > 0 {
					in = !in
				}
			}
		}
	}
	return in
}

// onBoundary reports whether p lies exactly on some edge of mp.
func onBoundary(mp orb.MultiPolygon, px, py float64) bool {
	for _, poly := range mp {
		for _, ring := range poly {
			n := len(ring)
			for k := 0; k < n; k++ {
				a, b := ring[k], ring[(k+1)%n]
				if onSegment(a[0], a[1], b[0], b[1], px, py) {
					return true
				}
			}
		}
	}
	return false
}

// Location is the codes of the street, community and grid containing a
// point; a code is "" when its layer is absent or does not cover the point.
type Location struct {
	Street, Community, Grid string
}

// Locator finds street, community and grid of a point in one call, from
// three PolygonIndexes (same tie rule). Immutable and safe for concurrent
// use.
type Locator struct {
	streets, communities, grids *PolygonIndex
}

// NewLocator indexes the three layers; any of them may be nil (grids are nil
// before a plan exists), but not all.
func NewLocator(streets, communities, grids []Area) (*Locator, error) {
	if streets == nil && communities == nil && grids == nil {
		return nil, errs.E(errs.Invalid, "layers", "a locator needs at least one of streets, communities, grids")
	}
	l := &Locator{}
	var err error
	for _, x := range []struct {
		name  string
		areas []Area
		dst   **PolygonIndex
	}{{"streets", streets, &l.streets}, {"communities", communities, &l.communities}, {"grids", grids, &l.grids}} {
		if x.areas == nil {
			continue
		}
		if *x.dst, err = NewPolygonIndex(x.areas); err != nil {
			return nil, fmt.Errorf("%s: %w", x.name, err)
		}
	}
	return l, nil
}

// Locate returns the codes of the areas containing (lon, lat); ok is false
// when no layer contains the point (outside the district).
func (l *Locator) Locate(lon, lat float64) (Location, bool) {
	var loc Location
	ok := false
	if l.streets != nil {
		if i, in := l.streets.Locate(lon, lat); in {
			loc.Street, ok = l.streets.areas[i].Code, true
		}
	}
	if l.communities != nil {
		if i, in := l.communities.Locate(lon, lat); in {
			loc.Community, ok = l.communities.areas[i].Code, true
		}
	}
	if l.grids != nil {
		if i, in := l.grids.Locate(lon, lat); in {
			loc.Grid, ok = l.grids.areas[i].Code, true
		}
	}
	return loc, ok
}

// LocateAll appends the Location of each point to dst (the zero Location
// when no layer contains it) and returns the extended slice: Locate's
// answers, through each layer's PolygonIndex.LocateAll. It allocates one
// index per point for the layers' answers, besides growing dst.
func (l *Locator) LocateAll(dst []Location, pts []orb.Point) []Location {
	n := len(dst)
	dst = slices.Grow(dst, len(pts))[:n+len(pts)]
	out := dst[n:]
	clear(out)
	idx := make([]int, 0, len(pts))
	for _, layer := range []struct {
		ix  *PolygonIndex
		set func(*Location, string)
	}{
		{l.streets, func(loc *Location, c string) { loc.Street = c }},
		{l.communities, func(loc *Location, c string) { loc.Community = c }},
		{l.grids, func(loc *Location, c string) { loc.Grid = c }},
	} {
		if layer.ix == nil {
			continue
		}
		idx = layer.ix.LocateAll(idx[:0], pts)
		for k, i := range idx {
			if i >= 0 {
				layer.set(&out[k], layer.ix.areas[i].Code)
			}
		}
	}
	return dst
}

// Streets, Communities and Grids return the layer indexes (nil when absent).
func (l *Locator) Streets() *PolygonIndex     { return l.streets }
func (l *Locator) Communities() *PolygonIndex { return l.communities }
func (l *Locator) Grids() *PolygonIndex       { return l.grids }

// sizeBytes estimates the index's own memory (the raster tables and edge
// copies; the caller's geometries are shared, not copied).
func (ix *PolygonIndex) sizeBytes() int {
	return len(ix.cells)*4 + len(ix.mix)*8 + (len(ix.xs)+len(ix.ys))*8 + len(ix.hcells)*4 + len(ix.hot)
}
