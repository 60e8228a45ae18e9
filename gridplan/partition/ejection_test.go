package partition

import (
	"math"
	"testing"
)

// pathUnits is a unit graph of units in a row (each next to the next, one
// cell edge between them) with the given households.
func pathUnits(w []float64) *unitGraph {
	ug := &unitGraph{w: w, adj: make([][]unitEdge, len(w))}
	for u := 1; u < len(w); u++ {
		ug.adj[u-1] = append(ug.adj[u-1], unitEdge{int32(u), 1})
		ug.adj[u] = append(ug.adj[u], unitEdge{int32(u - 1), 1})
	}
	return ug
}

// TestEjectionChains: grids of units in a row, mean 100, ±10 %. A chain
// moves units along the row from a heavy grid to a light one when that
// lowers the grids beyond the tolerance, keeping every grid connected
// (pushed from the heavy end or pulled from the light one); no chain is
// applied where none helps or where it would empty a grid.
func TestEjectionChains(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w     []float64
		lab   []int32
		want  int // chains applied
		wantW []float64
	}{
		{"heavy to light through a grid within", []float64{100, 20, 80, 20, 60, 20}, []int32{0, 0, 1, 1, 2, 2}, 1, []float64{100, 100, 100}},
		{"light pulls through a grid within", []float64{60, 20, 20, 80, 20, 100}, []int32{0, 0, 1, 1, 2, 2}, 1, []float64{100, 100, 100}},
		{"nothing beyond the tolerance", []float64{50, 50, 50, 50}, []int32{0, 0, 1, 1}, 0, []float64{100, 100}},
		{"no move fixes it (whole units too big)", []float64{130, 70}, []int32{0, 1}, 0, []float64{130, 70}},
		{"a grid would be emptied", []float64{115, 85}, []int32{0, 1}, 0, []float64{115, 85}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ug := pathUnits(tc.w)
			k := len(tc.wantW)
			s := &unitState{ug: ug, lab: append([]int32(nil), tc.lab...), W: make([]float64, k), count: make([]int, k),
				fixed: make([]bool, k), mean: 100, tol: 0.1, lambda: 0.001, seen: make([]int32, len(tc.w))}
			s.recount(k)
			if got := s.ejectionChains(k); got != tc.want {
				t.Errorf("applied %d chains, want %d (labels %v)", got, tc.want, s.lab)
			}
			for p := range k {
				if math.Abs(s.W[p]-tc.wantW[p]) > 1e-9 {
					t.Errorf("grid %d: %v households, want %v (labels %v)", p, s.W[p], tc.wantW[p], s.lab)
				}
				// Units of a row: a grid is connected when its units are consecutive.
				first, last, n := -1, -1, 0
				for u, l := range s.lab {
					if l == int32(p) {
						if first < 0 {
							first = u
						}
						last, n = u, n+1
					}
				}
				if n == 0 || last-first+1 != n {
					t.Errorf("grid %d is empty or not connected: labels %v", p, s.lab)
				}
			}
		})
	}
}
