package partition

import (
	"math"

	"github.com/paulmach/orb"
)

// Hexagon cells make zigzag grid borders: a straight cut across the
// lattice is about 15 % longer than the line it follows, which costs a
// grid's Polsby-Popper a quarter. Corner cutting straightens them: at a
// vertex of a border between exactly two grids (three cells meet at every
// vertex, here two of one grid and one of the other), the two half-edges
// of the border are replaced by the chord between their midpoints. The
// corner triangle cut off lies inside the one cell whose corner it is, so
// the triangles of different vertices never overlap and a border never
// crosses another; both grids take the same chord (the vertex decides, not
// the ring), so the grids still tile the community exactly. A corner is
// kept where a building lies in (or within a centimetre of) its triangle,
// so no building changes grid. On a straight zigzag the chords line up
// into the straight line.

// cornerMarginDeg is how close to a corner triangle a building keeps the
// corner (about a centimetre).
const cornerMarginDeg = 1e-7

// cuttableCorners marks the vertices of the table where exactly two owners
// meet, whose corner triangle holds no building of pts.
func (t *cellTable) cuttableCorners(owner []int32, pts []orb.Point) []bool {
	nv := len(t.verts)
	type around struct {
		cells [3]int32
		n     int8
	}
	at := make([]around, nv)
	for i := range t.cells {
		for _, v := range t.cells[i].vx {
			if a := &at[v]; a.n < 3 {
				a.cells[a.n] = int32(i)
				a.n++
			}
		}
	}
	// Buildings by table cell: a corner triangle lies in one of the
	// vertex's three cells.
	byCell := map[int32][]orb.Point{}
	for i, p := range pts {
		if ci, ok := t.index[t.cellAt(i, p)]; ok {
			byCell[ci] = append(byCell[ci], p)
		}
	}
	cut := make([]bool, nv)
	for v := range at {
		a := &at[v]
		if a.n != 3 {
			continue
		}
		o0, o1, o2 := owner[a.cells[0]], owner[a.cells[1]], owner[a.cells[2]]
		// The lone cell: the one whose owner differs from the other two.
		lone := int32(-1)
		switch {
		case o0 == o1 && o1 == o2:
			continue // inside one grid
		case o0 != o1 && o1 != o2 && o0 != o2:
			continue // three grids meet: a junction stays
		case o1 == o2:
			lone = a.cells[0]
		case o0 == o2:
			lone = a.cells[1]
		default:
			lone = a.cells[2]
		}
		// The border's two edges at v are the lone cell's edges at v; its
		// neighbouring vertices along them are the lone cell's vertices
		// before and after v.
		c := &t.cells[lone]
		j := 0
		for j < 6 && c.vx[j] != int32(v) {
			j++
		}
		if j == 6 {
			continue
		}
		p0 := t.verts[c.vx[(j+5)%6]]
		p1 := t.verts[v]
		p2 := t.verts[c.vx[(j+1)%6]]
		tri := [3]orb.Point{midpoint(p0, p1), p1, midpoint(p1, p2)}
		free := true
		for _, ci := range a.cells {
			for _, b := range byCell[ci] {
				if nearTriangle(b, tri, cornerMarginDeg) {
					free = false
				}
			}
		}
		cut[v] = free
	}
	return cut
}

// nearTriangle reports whether p lies in triangle tri or within eps of it.
func nearTriangle(p orb.Point, tri [3]orb.Point, eps float64) bool {
	s := func(a, b orb.Point) float64 {
		return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
	}
	d0, d1, d2 := s(tri[0], tri[1]), s(tri[1], tri[2]), s(tri[2], tri[0])
	neg := d0 < 0 || d1 < 0 || d2 < 0
	pos := d0 > 0 || d1 > 0 || d2 > 0
	if !(neg && pos) {
		return true
	}
	for i := 0; i < 3; i++ {
		if segDistDeg(tri[i], tri[(i+1)%3], p) <= eps {
			return true
		}
	}
	return false
}

// segDistDeg is the distance from p to segment ab in degrees (planar).
func segDistDeg(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	f := 0.0
	if l2 > 0 {
		f = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		f = max(0, min(1, f))
	}
	ex, ey := a[0]+f*dx-p[0], a[1]+f*dy-p[1]
	return math.Hypot(ex, ey)
}
