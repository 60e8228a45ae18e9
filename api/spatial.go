package api

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// cellIndex is a uniform grid over a layer's extent mapping each cell to
// the entries whose bound touches it: enough for 30,000 building points,
// with no tree to balance.
type cellIndex struct {
	origin   orb.Point
	size     float64
	nx, ny   int
	cells    [][]int32
	multiple bool // an entry may sit in several cells: dedupe results
}

const cellSizeDeg = 0.01 // about 1 km at Nanjing's latitude

func newCellIndex(extent orb.Bound, bounds []orb.Bound) *cellIndex {
	ix := &cellIndex{origin: extent.Min, size: cellSizeDeg}
	ix.nx = int(math.Floor((extent.Max[0]-extent.Min[0])/ix.size)) + 1
	ix.ny = int(math.Floor((extent.Max[1]-extent.Min[1])/ix.size)) + 1
	if ix.nx*ix.ny > 1<<20 {
		return nil // absurd extent; callers scan instead
	}
	ix.cells = make([][]int32, ix.nx*ix.ny)
	for i, b := range bounds {
		x0, y0, x1, y1 := ix.span(b)
		if x0 != x1 || y0 != y1 {
			ix.multiple = true
		}
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				c := y*ix.nx + x
				ix.cells[c] = append(ix.cells[c], int32(i))
			}
		}
	}
	return ix
}

func (ix *cellIndex) clampX(v float64) int {
	i := int(math.Floor((v - ix.origin[0]) / ix.size))
	return max(0, min(ix.nx-1, i))
}

func (ix *cellIndex) clampY(v float64) int {
	i := int(math.Floor((v - ix.origin[1]) / ix.size))
	return max(0, min(ix.ny-1, i))
}

func (ix *cellIndex) span(b orb.Bound) (x0, y0, x1, y1 int) {
	return ix.clampX(b.Min[0]), ix.clampY(b.Min[1]), ix.clampX(b.Max[0]), ix.clampY(b.Max[1])
}

// candidates returns the ascending indices of entries whose cells meet b,
// or ok=false when b covers so much of the index that a scan is cheaper.
func (ix *cellIndex) candidates(b orb.Bound) (out []int32, ok bool) {
	x0, y0, x1, y1 := ix.span(b)
	if (x1-x0+1)*(y1-y0+1)*2 > ix.nx*ix.ny {
		return nil, false
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			out = append(out, ix.cells[y*ix.nx+x]...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if ix.multiple {
		w := 0
		for i, v := range out {
			if i == 0 || v != out[w-1] {
				out[w] = v
				w++
			}
		}
		out = out[:w]
	}
	return out, true
}
