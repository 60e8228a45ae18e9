package geo

import (
	"math"
	"slices"

	"github.com/gridd/gridd/errs"
)

// BoundaryIndex answers "which area's boundary is nearest to this point,
// and how far is it?" for points outside every area (a /locate outside the
// district), from a packed R-tree over the areas' boundary segments, so the
// cost grows with the logarithm of the number of segments and not with the
// distance to the district. It is immutable and safe for concurrent use.
//
// Its answers are PolygonIndex.Nearest's for points no area contains: the
// same segments (each distinct segment once, oriented the same way), the
// same metric (the planar point–segment distance in a local equirectangular
// projection centred on the query point: x = Δlon·cos lat, y = Δlat, scaled
// by EarthRadiusM) computed by the same arithmetic, and the same tie rule
// (the lowest area index among equally near ones). It ignores containment:
// for a point inside an area it answers the nearest boundary, not 0.
type BoundaryIndex struct {
	segs []bsegment
	// levels[0] are the leaves' boxes, leaf j holding segs[j*fanout:];
	// levels[k] box j bounds levels[k-1][j*fanout:]; the last level has at
	// most fanout boxes.
	levels [][]bbox
}

// bsegment is a boundary segment with the one or two areas it bounds.
type bsegment struct {
	ax, ay, bx, by float64
	area, area2    int32 // area2 -1 when one area has this segment
}

type bbox struct{ minX, minY, maxX, maxY float64 }

// fanout is the entries of a node. 8 keeps a node's boxes in four cache
// lines and the tree five levels deep for 30,000 segments.
const fanout = 8

// maxDepth bounds the tree's height: fanout^maxDepth segments is far more
// than an index can hold in memory.
const maxDepth = 16

// NewBoundaryIndex indexes the boundaries of areas; Nearest returns indices
// into areas. Like NewPolygonIndex it rejects non-finite or out-of-range
// coordinates and rings of fewer than 4 points, naming the area, polygon,
// ring and vertex; areas with empty geometry are never answered.
func NewBoundaryIndex(areas []Area) (*BoundaryIndex, error) {
	if len(areas) > math.MaxInt32-1 {
		return nil, errs.E(errs.TooLarge, "areas", "%d areas is too many", len(areas))
	}
	segs, err := boundarySegments(areas)
	if err != nil {
		return nil, err
	}
	hilbertSort(segs)
	bi := &BoundaryIndex{segs: segs}
	bi.pack()
	return bi, nil
}

// boundarySegments lists every distinct segment of the areas' rings once,
// oriented from its lexicographically smaller end (as PolygonIndex stores
// them, so that distances come out bit for bit the same), with the areas
// it bounds.
func boundarySegments(areas []Area) ([]bsegment, error) {
	var segs []bsegment
	seen := map[[4]float64]int{}
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
				for k := range n {
					p, q := ring[k], ring[(k+1)%n]
					if p == q {
						continue
					}
					key := [4]float64{p[0], p[1], q[0], q[1]}
					if p[0] > q[0] || (p[0] == q[0] && p[1] > q[1]) {
						key = [4]float64{q[0], q[1], p[0], p[1]}
					}
					if j, ok := seen[key]; ok && segs[j].area2 < 0 && segs[j].area != int32(i) {
						segs[j].area2 = int32(i)
						continue
					} else if ok && segs[j].area == int32(i) {
						continue // the same segment twice in one area: once is enough
					}
					seen[key] = len(segs)
					segs = append(segs, bsegment{key[0], key[1], key[2], key[3], int32(i), -1})
				}
			}
		}
	}
	return slices.Clip(segs), nil
}

// hilbertSort orders segments along a Hilbert curve through their
// midpoints, so that any run of consecutive segments is compact: the
// packed tree's nodes are runs at every level.
func hilbertSort(segs []bsegment) {
	if len(segs) < 2 {
		return
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range segs {
		mx, my := (s.ax+s.bx)/2, (s.ay+s.by)/2
		minX, maxX = math.Min(minX, mx), math.Max(maxX, mx)
		minY, maxY = math.Min(minY, my), math.Max(maxY, my)
	}
	const side = 1 << 16
	sx, sy := (side-1)/math.Max(maxX-minX, 1e-300), (side-1)/math.Max(maxY-minY, 1e-300)
	keys := make([]uint64, len(segs))
	order := make([]int, len(segs))
	for i, s := range segs {
		x := uint32(((s.ax+s.bx)/2 - minX) * sx)
		y := uint32(((s.ay+s.by)/2 - minY) * sy)
		keys[i] = hilbertD(side, x, y)
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case keys[a] < keys[b]:
			return -1
		case keys[a] > keys[b]:
			return 1
		}
		return 0
	})
	sorted := make([]bsegment, len(segs))
	for i, o := range order {
		sorted[i] = segs[o]
	}
	copy(segs, sorted)
}

// hilbertD is the distance of cell (x, y) along the Hilbert curve filling
// an n×n square (n a power of two).
func hilbertD(n, x, y uint32) uint64 {
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 { // rotate the quadrant
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
	}
	return d
}

// pack builds the levels of boxes bottom-up over consecutive runs.
func (bi *BoundaryIndex) pack() {
	if len(bi.segs) == 0 {
		return
	}
	leaves := make([]bbox, 0, (len(bi.segs)+fanout-1)/fanout)
	for lo := 0; lo < len(bi.segs); lo += fanout {
		b := emptyBox()
		for _, s := range bi.segs[lo:min(lo+fanout, len(bi.segs))] {
			b = b.add(s.ax, s.ay).add(s.bx, s.by)
		}
		leaves = append(leaves, b)
	}
	bi.levels = append(bi.levels, leaves)
	for cur := leaves; len(cur) > fanout; {
		up := make([]bbox, 0, (len(cur)+fanout-1)/fanout)
		for lo := 0; lo < len(cur); lo += fanout {
			b := emptyBox()
			for _, c := range cur[lo:min(lo+fanout, len(cur))] {
				b = b.add(c.minX, c.minY).add(c.maxX, c.maxY)
			}
			up = append(up, b)
		}
		bi.levels = append(bi.levels, up)
		cur = up
	}
}

func emptyBox() bbox { return bbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)} }

func (b bbox) add(x, y float64) bbox {
	return bbox{math.Min(b.minX, x), math.Min(b.minY, y), math.Max(b.maxX, x), math.Max(b.maxY, y)}
}

// Len is the number of distinct boundary segments indexed.
func (bi *BoundaryIndex) Len() int { return len(bi.segs) }

// nearQuery is one Nearest call's state.
type nearQuery struct {
	lon, lat, kx, ky float64
	best             int
	bestD2           float64
	segs             int // segment distances computed, for tests
}

// pruneSlack keeps a box whose lower bound exceeds the best distance by
// less than rounding could account for: the bound and a segment's distance
// are computed by different float64 expressions.
const pruneSlack = 1 + 1e-9

// Nearest returns the area whose boundary is nearest to (lon, lat) and the
// distance to it in metres, in PolygonIndex.Nearest's metric, ties to the
// lowest index; (-1, +Inf) for an empty index or non-finite coordinates.
// It allocates nothing.
func (bi *BoundaryIndex) Nearest(lon, lat float64) (i int, distanceM float64) {
	q := bi.query(lon, lat)
	return q.best, math.Sqrt(q.bestD2)
}

func (bi *BoundaryIndex) query(lon, lat float64) nearQuery {
	q := nearQuery{best: -1, bestD2: math.Inf(1)}
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) || len(bi.levels) == 0 {
		return q
	}
	q.lon, q.lat = lon, lat
	q.kx = math.Cos(lat*math.Pi/180) * (math.Pi / 180 * EarthRadiusM) // metres per degree of lon
	q.ky = math.Pi / 180 * EarthRadiusM
	top := len(bi.levels) - 1
	bi.visit(&q, top, 0, len(bi.levels[top]))
	return q
}

// visit searches boxes lo..hi of level, nearest box first, skipping boxes
// that cannot hold a segment nearer than the best so far.
func (bi *BoundaryIndex) visit(q *nearQuery, level, lo, hi int) {
	var order [fanout]struct {
		lb2 float64
		j   int
	}
	n := 0
	for j := lo; j < hi; j++ {
		b := &bi.levels[level][j]
		dx := math.Max(math.Max(b.minX-q.lon, q.lon-b.maxX), 0) * q.kx
		dy := math.Max(math.Max(b.minY-q.lat, q.lat-b.maxY), 0) * q.ky
		lb2 := dx*dx + dy*dy
		k := n
		for k > 0 && order[k-1].lb2 > lb2 {
			order[k] = order[k-1]
			k--
		}
		order[k].lb2, order[k].j = lb2, j
		n++
	}
	for _, o := range order[:n] {
		if o.lb2 > q.bestD2*pruneSlack {
			return
		}
		if level == 0 {
			bi.scanLeaf(q, o.j)
		} else {
			bi.visit(q, level-1, o.j*fanout, min(o.j*fanout+fanout, len(bi.levels[level-1])))
		}
	}
}

// scanLeaf measures the segments of leaf j.
func (bi *BoundaryIndex) scanLeaf(q *nearQuery, j int) {
	leaf := bi.segs[j*fanout : min(j*fanout+fanout, len(bi.segs))]
	q.segs += len(leaf)
	for _, s := range leaf {
		d2 := segDist2((s.ax-q.lon)*q.kx, (s.ay-q.lat)*q.ky, (s.bx-q.lon)*q.kx, (s.by-q.lat)*q.ky)
		if d2 > q.bestD2 {
			continue
		}
		for _, a := range [2]int32{s.area, s.area2} {
			if a >= 0 && (d2 < q.bestD2 || int(a) < q.best) {
				q.best, q.bestD2 = int(a), d2
			}
		}
	}
}
