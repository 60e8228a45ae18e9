// Package boxindex answers "which of these features touch this box": one
// spatial index over a fixed set of bounding boxes, shared by the HTTP
// catalogue's bbox queries, the vector tiles and the bundle checks. It
// wraps tidwall/rtree (the R-tree Tile38 uses) so that callers see only
// orb bounds and ascending feature indexes.
package boxindex

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Index holds the bounds it was built from, by index. It is immutable
// after New and safe for concurrent queries.
type Index struct {
	tr    rtree.RTreeGN[float64, int32]
	bound orb.Bound // the union of every bound
	n     int
}

// New indexes bounds; bounds[i] is feature i. A bound with a NaN
// coordinate is left out (no box touches it).
func New(bounds []orb.Bound) *Index {
	ix := &Index{n: len(bounds)}
	first := true
	for i, b := range bounds {
		if !finite(b) {
			continue
		}
		ix.tr.Insert([2]float64(b.Min), [2]float64(b.Max), int32(i))
		if first {
			ix.bound, first = b, false
		} else {
			ix.bound = ix.bound.Union(b)
		}
	}
	return ix
}

func finite(b orb.Bound) bool {
	for _, v := range [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) {
			return false
		}
	}
	return true
}

// Len is the number of bounds the index was built from.
func (ix *Index) Len() int { return ix.n }

// Bound is the union of the indexed bounds (the zero Bound when none).
func (ix *Index) Bound() orb.Bound { return ix.bound }

// Search appends to dst the indexes, ascending, of the bounds that touch q
// (closed boxes: sharing an edge or a corner counts, as orb.Bound.Intersects).
func (ix *Index) Search(q orb.Bound, dst []int) []int {
	n0 := len(dst)
	ix.tr.Search([2]float64(q.Min), [2]float64(q.Max), func(_, _ [2]float64, i int32) bool {
		dst = append(dst, int(i))
		return true
	})
	slices.Sort(dst[n0:])
	return dst
}

// Count is how many bounds touch q, without listing them.
func (ix *Index) Count(q orb.Bound) int {
	n := 0
	ix.tr.Search([2]float64(q.Min), [2]float64(q.Max), func(_, _ [2]float64, _ int32) bool {
		n++
		return true
	})
	return n
}
