package partition

import (
	"math/rand/v2"
	"slices"
)

// An enclave is a grid lying in a hole of another grid. Bisection and ReCom
// avoid cuts leaving a side with a hole around other cells of the
// community, local search cannot open a hole (the simple-point rule), and
// fixEnclaves removes any left (from a fallback cut, a warm start, or
// fringe cells) by merging the surrounding grid with one inside its hole
// and re-splitting the pair.

// holeFacing returns, for the cells with in(cell), the first cell with
// other(cell) that one of their hole rings (inner boundary) faces, or -1:
// such a cell lies in a hole of the set.
func (t *cellTable) holeFacing(members []int32, in, other func(ci int32) bool) int32 {
	t.ringStart()
	for _, ci := range members {
		c := &t.cells[ci]
		for j := 0; j < 6; j++ {
			n := c.nb[j]
			if n >= 0 && in(n) {
				continue
			}
			f := int32(-1)
			if n >= 0 && other(n) {
				f = n
			}
			t.ringEdge(c, j, f)
		}
	}
	return t.walkHoles()
}

// ringStart begins a set's boundary for walkHoles.
func (t *cellTable) ringStart() {
	sc := &t.scr
	if len(sc.next) < len(t.verts) {
		sc.next = make([]int32, len(t.verts))
		sc.faces = make([]int32, len(t.verts))
		sc.stamp = make([]uint32, len(t.verts))
	}
	sc.cur += 2 // cur: edge starts here; cur+1: visited
	sc.starts = sc.starts[:0]
}

// ringEdge adds edge j of cell c, facing cell f (-1: none that counts),
// to the boundary begun by ringStart.
func (t *cellTable) ringEdge(c *cell, j int, f int32) {
	sc := &t.scr
	v := c.vx[j]
	sc.next[v], sc.faces[v], sc.stamp[v] = c.vx[(j+1)%6], f, sc.cur
	sc.starts = append(sc.starts, v)
}

// walkHoles chains the boundary's edges into rings and returns the first
// cell a hole ring (clockwise) faces, or -1.
func (t *cellTable) walkHoles() int32 {
	sc := &t.scr
	cur := sc.cur
	for _, s := range sc.starts {
		if sc.stamp[s] != cur {
			continue // visited
		}
		faced := int32(-1)
		area := 0.0
		v := s
		for {
			sc.stamp[v] = cur + 1
			to := sc.next[v]
			if faced < 0 {
				faced = sc.faces[v]
			}
			a, b := t.verts[v], t.verts[to]
			area += a[0]*b[1] - b[0]*a[1]
			v = to
			if v == s {
				break
			}
		}
		if area < 0 && faced >= 0 {
			return faced
		}
	}
	return -1
}

// ringScratch holds holeFacing's per-vertex arrays, reused across calls
// (a table is used by one goroutine); stamps tell current entries from
// stale ones.
type ringScratch struct {
	next, faces, starts []int32
	stamp               []uint32
	cur                 uint32
}

// fixEnclaves finds grids enclosed by another grid, at the level of whole
// cells with fringe cells assigned, and re-splits each with its host; it
// returns the final owner of every table cell.
func (t *cellTable) fixEnclaves(rng *rand.Rand, g *graph, label []int32, k int, polish func()) []int32 {
	var owner []int32
	for round := 0; round < 2*k+2; round++ {
		owner = t.assignFringe(g, label)
		members := make([][]int32, k)
		for i, o := range owner {
			members[o] = append(members[o], int32(i))
		}
		fixed := false
		for p := int32(0); p < int32(k) && !fixed; p++ {
			in := func(c int32) bool { return owner[c] == p }
			other := func(c int32) bool { return t.cells[c].node >= 0 && owner[c] != p }
			f := t.holeFacing(members[p], in, other)
			if f < 0 {
				continue
			}
			// Every grid inside that hole: flood from the faced cell
			// without crossing p.
			inHole := map[int32]bool{}
			seen := map[int32]bool{f: true}
			queue := []int32{f}
			for len(queue) > 0 {
				ci := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				if t.cells[ci].node >= 0 {
					inHole[owner[ci]] = true
				}
				for _, n := range t.cells[ci].nb {
					if n >= 0 && owner[n] != p && !seen[n] {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
			parts := []int32{p}
			for q := int32(0); q < int32(k); q++ {
				if inHole[q] && q != p {
					parts = append(parts, q)
				}
			}
			if slices.ContainsFunc(parts, func(q int32) bool { return g.fixed[q] }) {
				continue // a one-building grid is never re-split
			}
			// Merge p with them and split the union afresh into as many.
			var nodes []int32
			for v := range label {
				if slices.Contains(parts, label[v]) {
					nodes = append(nodes, int32(v))
				}
			}
			var w float64
			for _, v := range nodes {
				w += float64(g.w[v])
			}
			tmp := make([]int32, g.n)
			next := int32(0)
			g.split(rng, nodes, len(parts), w/float64(len(parts)), tmp, &next)
			for _, v := range nodes {
				label[v] = parts[tmp[v]]
			}
			polish() // rebalance; local search opens no holes
			fixed = true
		}
		if !fixed {
			return owner
		}
	}
	return owner
}
