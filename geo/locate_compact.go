package geo

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/paulmach/orb"
)

// The hot layer of a PolygonIndex: what a lookup reads on its fast path.
//
// Once an index outgrows the caches, a lookup costs what its memory loads
// wait for, not what it computes, and a province-sized index's exact
// blocks are far larger than the caches. So a lookup reads a compact copy
// of each mixed cell, a fifth of the exact block's size, and the exact
// block (cold memory) only when the copy cannot vouch for the answer, a
// small fraction of random lookups. The figures are in geo/README.md
// ("Sizing constants").
//
// # Compact cells
//
// Each mixed cell's edges are clipped to a box a little larger than the
// cell and their endpoints rounded to a 1024×1024 lattice laid over that
// box (the cell spans latLo to latLo+latCell on both axes), 10 bits a
// coordinate. Rounding moves every endpoint by at most √2/2 lattice units,
// so the original (clipped) edge lies within that distance of its rounded
// copy: inside a slab of half-width √2/2 around the copy's line. A lookup
// counts the crossings of the segment from the point P to the cell's
// lower-left corner R with the rounded copies, exactly as the exact layer
// does with the originals, and accepts the count only when for every edge
//
//   - P is more than latSlack (1 unit, > √2/2) from the copy's line, so P
//     is outside the slab and not on the original edge;
//   - R is too (checked when the cell is built: otherwise the cell is
//     exact-only);
//   - when P and R are on opposite sides of that line, both copy endpoints
//     are more than latSlack from the line PR, so each original endpoint
//     is on the same side of line PR as its copy.
//
// Then each original edge crosses PR if and only if its copy does: both
// segments lie in the slab, which PR either misses (P and R on one side)
// or crosses within PR (opposite sides), where a segment crosses line PR
// exactly when its endpoints are on opposite sides of it. The crossing
// parities, and so the answer, are those of the exact layer; a point on or
// near an edge (within about latCell/1000 of a cell) takes the exact path,
// which also applies the tie rule. The lattice arithmetic is float64 on
// integers below 2^10 and on P's lattice coordinates, whose rounding error
// (≈1e-9 units for cells of metres) is far inside the 0.29-unit margin
// between latSlack and √2/2; hotPrecisionOK checks that margin per index.
//
// # Block layout (bytes)
//
//	0        edge count + 1 (0: exact-only cell, see the exact layer)
//	1        the candidates' states at R as bits (≤ 8 candidates)
//	2…       per edge 6 bytes, little-endian: ax, ay, bx, by (10 bits
//	         each), then candidate slot a (3 bits), slot b (3 bits; = a
//	         when the edge bounds one area), side of R + 1 (2 bits)
//	then     the candidates, ascending, 3 bytes each (area < 2^24-1)
//
// The array is padded by 8 bytes so that every field is read with one
// unaligned 8-byte load.
const (
	latLo        = 32   // the cell's lower-left corner R on the lattice
	latCell      = 960  // lattice units per cell side
	latMax       = 1023 // largest lattice coordinate
	latClipLo    = 1.0  // edges are clipped to [latClipLo, latClipHi]² before rounding
	latClipHi    = latMax - 1.0
	latSlack     = 1.0 // lattice distance that vouches for a sign (> √2/2 + float error)
	hotEdge      = 6   // bytes per compact edge
	hotCand      = 3   // bytes per candidate
	hotMaxCands  = 8
	hotMaxEdges  = 64
	hotMaxArea   = 1<<24 - 1
	hotPad       = 8
	hotExactOnly = 0 // the offset of the exact-only marker
)

// hotPrecisionOK reports whether float64 rounding of lattice coordinates
// stays far below the margin latSlack-√2/2 everywhere in the index: an
// ulp of the largest coordinate, in lattice units, must be < 1e-4.
func (ix *PolygonIndex) hotPrecisionOK() bool {
	m := math.Max(math.Max(math.Abs(ix.xs[0]), math.Abs(ix.xs[ix.nx])), math.Max(math.Abs(ix.ys[0]), math.Abs(ix.ys[ix.ny])))
	ulp := math.Nextafter(m, math.Inf(1)) - m
	return ulp*ix.invUx < 1e-4 && ulp*ix.invUy < 1e-4 && !math.IsInf(ix.invUx, 0) && !math.IsInf(ix.invUy, 0)
}

// buildHot derives the hot layer (hcells, hot) from the exact one.
func (ix *PolygonIndex) buildHot() {
	ix.invUx, ix.invUy = latCell*ix.invDx, latCell*ix.invDy
	ix.hcells = make([]int32, len(ix.cells))
	ix.hot = []byte{0} // at hotExactOnly: edge count + 1 = 0
	ok := ix.hotPrecisionOK()
	var block []byte
	for r := 0; r < ix.ny; r++ {
		for c := 0; c < ix.nx; c++ {
			i := r*ix.nx + c
			v := ix.cells[i]
			if v >= 0 {
				ix.hcells[i] = v
				continue
			}
			ix.hcells[i] = -hotExactOnly - 1 // unless the compact block works out
			if !ok {
				continue
			}
			var good bool
			block, good = ix.compactBlock(block[:0], uint32(-v-1), ix.xs[c], ix.ys[r])
			if !good || len(ix.hot)+len(block) > math.MaxInt32-hotPad {
				continue
			}
			ix.hcells[i] = -int32(len(ix.hot)) - 1
			ix.hot = append(ix.hot, block...)
			ix.nCompact++
		}
	}
	ix.hot = append(ix.hot, make([]byte, hotPad)...)
	ix.hot = ix.hot[:len(ix.hot):len(ix.hot)]
	ix.hot = append([]byte(nil), ix.hot...) // exact size
}

// lattice maps a coordinate to the lattice of the cell whose lower-left
// corner is (rx, ry); Locate computes P's the same way.
func (ix *PolygonIndex) lattice(x, y, rx, ry float64) (float64, float64) {
	return (x-rx)*ix.invUx + latLo, (y-ry)*ix.invUy + latLo
}

// compactBlock encodes the exact block at o for the cell with corner
// (rx, ry), or reports false when the cell must stay exact-only.
func (ix *PolygonIndex) compactBlock(dst []byte, o uint32, rx, ry float64) ([]byte, bool) {
	nc, base, cands, es := ix.mixBlock(o)
	if nc > hotMaxCands || len(es)/edgeWords > hotMaxEdges {
		return dst, false
	}
	for k := 0; k < nc; k++ {
		if blockCand(cands, uint64(k)) > hotMaxArea {
			return dst, false
		}
	}
	dst = append(dst, 0, byte(base))
	ne := 0
	for k := 0; k+edgeWords <= len(es); k += edgeWords {
		ax, ay := ix.lattice(math.Float64frombits(es[k]), math.Float64frombits(es[k+1]), rx, ry)
		bx, by := ix.lattice(math.Float64frombits(es[k+2]), math.Float64frombits(es[k+3]), rx, ry)
		t0, t1, hit := clipUnit(ax, ay, bx, by)
		if !hit {
			continue // the edge's box overlapped the cell, the edge does not
		}
		qax, qay := math.Round(ax+t0*(bx-ax)), math.Round(ay+t0*(by-ay))
		qbx, qby := math.Round(ax+t1*(bx-ax)), math.Round(ay+t1*(by-ay))
		if qax == qbx && qay == qby {
			return dst, false // shorter than the lattice resolves
		}
		// R must be outside the slab around the copy's line.
		ex, ey := qbx-qax, qby-qay
		dR := ex*(latLo-qay) - ey*(latLo-qax) // exact: small integers
		if math.Abs(dR) <= latSlack*(math.Abs(ex)+math.Abs(ey)) {
			return dst, false
		}
		sR := uint64(2) // side + 1
		if dR < 0 {
			sR = 0
		}
		meta := es[k+4]
		a := meta & 63
		b := a
		if meta>>12&1 != 0 {
			b = meta >> 6 & 63
		}
		w := uint64(qax) | uint64(qay)<<10 | uint64(qbx)<<20 | uint64(qby)<<30 |
			(a|b<<3|sR<<6)<<40
		for j := 0; j < hotEdge; j++ {
			dst = append(dst, byte(w>>(8*j)))
		}
		ne++
	}
	dst[0] = byte(ne + 1)
	for k := 0; k < nc; k++ {
		a := uint32(blockCand(cands, uint64(k)))
		dst = append(dst, byte(a), byte(a>>8), byte(a>>16))
	}
	return dst, true
}

// clipUnit clips segment a→b to [latClipLo, latClipHi]² (Liang–Barsky),
// returning the parameter range kept, or hit=false when nothing is.
func clipUnit(ax, ay, bx, by float64) (t0, t1 float64, hit bool) {
	t0, t1 = 0, 1
	dx, dy := bx-ax, by-ay
	for _, pq := range [4][2]float64{{-dx, ax - latClipLo}, {dx, latClipHi - ax}, {-dy, ay - latClipLo}, {dy, latClipHi - ay}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
	}
	return t0, t1, t0 <= t1
}

// locateHot answers from the compact block at o of cell i (corner rx, ry),
// falling back to the exact block when the lattice cannot vouch.
func (ix *PolygonIndex) locateHot(o uint32, i int, rx, ry, px, py float64) (int, bool) {
	mask, cands, decided := ix.hotCount(o, rx, ry, px, py)
	if !decided {
		return ix.locateMixed(uint32(-ix.cells[i]-1), rx, ry, px, py)
	}
	if mask == 0 {
		return -1, false // not on any edge (all more than latSlack away), so outside
	}
	q := cands + hotCand*bits.TrailingZeros64(mask)
	return int(binary.LittleEndian.Uint32(ix.hot[q:]) & hotMaxArea), true
}

// hotCount counts the crossings in the compact block at o: the candidates'
// states at (px, py) as bits, where the block's candidates start, and
// whether the lattice vouches for them (false for an exact-only cell).
func (ix *PolygonIndex) hotCount(o uint32, rx, ry, px, py float64) (mask uint64, cands int, decided bool) {
	b := ix.hot
	ne := int(b[o]) - 1
	if ne < 0 {
		return 0, 0, false
	}
	mask = uint64(b[o+1])
	u, v := ix.lattice(px, py, rx, ry)
	dxr, dyr := latLo-u, latLo-v
	slackPR := latSlack * (math.Abs(dxr) + math.Abs(dyr))
	p := int(o) + 2
	var bad uint64
	for k := 0; k < ne; k++ {
		w := binary.LittleEndian.Uint64(b[p:])
		p += hotEdge
		ax, ay := float64(w&latMax), float64(w>>10&latMax)
		bx, by := float64(w>>20&latMax), float64(w>>30&latMax)
		meta := w >> 40
		ex, ey := bx-ax, by-ay
		d := ex*(v-ay) - ey*(u-ax)
		da := dxr*(ay-v) - dyr*(ax-u)
		db := dxr*(by-v) - dyr*(bx-u)
		// Branch-free: which side P is on is a coin toss, and a
		// mispredicted branch costs more than the arithmetic it skips.
		opp := b2u(d > 0) ^ meta>>7&1 // 1 when P and R are on opposite sides
		bad |= b2u(math.Abs(d) <= latSlack*(math.Abs(ex)+math.Abs(ey))) |
			opp&(b2u(math.Abs(da) <= slackPR)|b2u(math.Abs(db) <= slackPR))
		mask ^= (1<<(meta&7) | 1<<(meta>>3&7)) & -(opp & (b2u(da > 0) ^ b2u(db > 0)))
	}
	return mask, p, bad == 0
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// locateGroup is how many points LocateAll fetches before answering: with
// the cell loads in a loop of their own, enough are in flight to hide most
// of a memory load's latency (measurements in geo/README.md, "Sizing
// constants").
const locateGroup = 64

// LocateAll appends to dst the area index of each point (-1 when no area
// contains it) and returns the extended slice: the answers of Locate, point
// by point. On an index larger than the caches it is faster per point than
// calling Locate in a loop, because it reads the cells of a group of points
// before answering any of them, so that their memory loads overlap instead
// of waiting one after another. It allocates only to grow dst.
func (ix *PolygonIndex) LocateAll(dst []int, pts []orb.Point) []int {
	var cell [locateGroup]int32 // -1: outside the raster
	var hv [locateGroup]int32
	var head [locateGroup]byte // first byte of a mixed cell's block
	for s := 0; s < len(pts); s += locateGroup {
		g := pts[s:min(s+locateGroup, len(pts))]
		for j, p := range g {
			lon, lat := p[0], p[1]
			if !(lon >= ix.xs[0] && lon < ix.xs[ix.nx] && lat >= ix.ys[0] && lat < ix.ys[ix.ny]) {
				cell[j] = -1
				continue
			}
			cell[j] = int32(ix.row(lat)*ix.nx + ix.col(lon))
		}
		// A loop of bare loads, so that as many as the core allows are in
		// flight at once.
		for j := range g {
			if i := cell[j]; i >= 0 {
				hv[j] = ix.hcells[i]
			}
		}
		// Read each mixed cell's block head; the loads are independent,
		// so they are in flight together.
		for j := range g {
			if cell[j] >= 0 && hv[j] < 0 {
				head[j] = ix.hot[-hv[j]-1]
			}
		}
		for j, p := range g {
			i := int(cell[j])
			switch {
			case i < 0:
				dst = append(dst, -1)
			case hv[j] >= 0:
				dst = append(dst, int(hv[j])-1)
			default:
				c, r := i%ix.nx, i/ix.nx
				var a int
				var ok bool
				if head[j] == 0 { // exact-only (testing head also keeps its early load)
					a, ok = ix.locateMixed(uint32(-ix.cells[i]-1), ix.xs[c], ix.ys[r], p[0], p[1])
				} else {
					a, ok = ix.locateHot(uint32(-hv[j]-1), i, ix.xs[c], ix.ys[r], p[0], p[1])
				}
				if !ok {
					a = -1
				}
				dst = append(dst, a)
			}
		}
	}
	return dst
}
