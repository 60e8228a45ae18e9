package partition

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/internal/sfgeom"
)

// TestCornerCutting splits a table into stripes and a blob around one
// cell, cuts the corners and checks that the parts still add up to the
// table (every triangle one part loses another gains), that no two parts
// overlap, that the borders got shorter, that a building in a corner
// triangle keeps its corner and stays in its part, and that three-grid
// junctions stay.
func TestCornerCutting(t *testing.T) {
	sq := orb.MultiPolygon{{{{118.70, 32.10}, {118.71, 32.10}, {118.71, 32.108}, {118.70, 32.108}, {118.70, 32.10}}}}
	tb := buildCells(sq, 11, nil)
	owner := make([]int32, len(tb.cells))
	for i, c := range tb.cells {
		switch {
		case math.Hypot(c.center[0]-118.705, c.center[1]-32.104) < 0.0012:
			owner[i] = 2 // a blob across the stripes' border: junctions
		case c.center[0]+0.3*(c.center[1]-32.1) < 118.704:
			owner[i] = 0
		default:
			owner[i] = 1
		}
	}
	members := make([][]int32, 3)
	for i, o := range owner {
		members[o] = append(members[o], int32(i))
	}
	parts := func(cut []bool) []orb.MultiPolygon {
		out := make([]orb.MultiPolygon, 3)
		for p := range out {
			out[p] = tb.unionRings(owner, int32(p), members[p], cut)
		}
		return out
	}
	perimeter := func(mp orb.MultiPolygon) float64 {
		l := 0.0
		for _, poly := range mp {
			for _, r := range poly {
				for i := 0; i+1 < len(r); i++ {
					l += math.Hypot(r[i+1][0]-r[i][0], r[i+1][1]-r[i][1])
				}
			}
		}
		return l
	}
	raw := parts(nil)
	// A building just inside the corner triangle of a cuttable vertex (a
	// tenth of the way from the vertex to the centre of the lone cell, the
	// one whose owner differs): that corner must stay, and the building
	// in the lone cell's part.
	free := tb.cuttableCorners(owner, nil)
	var bld orb.Point
	keptV, lonePart := int32(-1), int32(-1)
	for v := range tb.verts {
		if !free[v] {
			continue
		}
		var around []int32
		for i := range tb.cells {
			for _, x := range tb.cells[i].vx {
				if x == int32(v) {
					around = append(around, int32(i))
				}
			}
		}
		for _, ci := range around {
			same := 0
			for _, cj := range around {
				if owner[cj] == owner[ci] {
					same++
				}
			}
			if same == 1 {
				c, p := &tb.cells[ci], tb.verts[v]
				bld = orb.Point{p[0] + 0.1*(c.center[0]-p[0]), p[1] + 0.1*(c.center[1]-p[1])}
				keptV, lonePart = int32(v), owner[ci]
			}
		}
		if keptV >= 0 {
			break
		}
	}
	if keptV < 0 {
		t.Fatal("no cuttable corner")
	}
	cut := tb.cuttableCorners(owner, []orb.Point{bld})
	nCut := 0
	for _, c := range cut {
		if c {
			nCut++
		}
	}
	if nCut == 0 {
		t.Fatal("no corner cut")
	}
	if cut[keptV] {
		t.Errorf("vertex %d cut though a building stands in its corner triangle", keptV)
	}
	sm := parts(cut)
	total, rawTotal := 0.0, 0.0
	for p := range sm {
		total += planar.Area(sm[p])
		rawTotal += planar.Area(raw[p])
		if pr, pc := perimeter(raw[p]), perimeter(sm[p]); pc >= pr {
			t.Errorf("part %d: perimeter %g not shorter than %g", p, pc, pr)
		}
		for q := p + 1; q < len(sm); q++ {
			x, err := sfgeom.Intersection(sfgeom.FromOrb(sm[p]), sfgeom.FromOrb(sm[q]))
			if err != nil {
				t.Fatal(err)
			}
			if a := planar.Area(x); a > 1e-14 {
				t.Errorf("parts %d and %d overlap by %g deg²", p, q, a)
			}
		}
	}
	if math.Abs(total-rawTotal) > 1e-12*rawTotal {
		t.Errorf("cut parts add up to %g deg², the cells to %g", total, rawTotal)
	}
	owns := func(mp orb.MultiPolygon, p orb.Point) bool { return planar.MultiPolygonContains(mp, p) }
	for p := range sm {
		if owns(sm[p], bld) != (int32(p) == lonePart) {
			t.Errorf("the building is in part %d: %v, want only in part %d", p, owns(sm[p], bld), lonePart)
		}
	}
	// Junctions (three parts at a vertex) are never cut.
	for v, c := range cut {
		if !c {
			continue
		}
		seen := map[int32]bool{}
		for i := range tb.cells {
			for _, x := range tb.cells[i].vx {
				if x == int32(v) {
					seen[owner[i]] = true
				}
			}
		}
		if len(seen) != 2 {
			t.Errorf("vertex %d cut with %d parts around it", v, len(seen))
		}
	}
}
