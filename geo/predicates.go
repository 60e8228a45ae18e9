package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// The predicate kernel of package geo: every orientation and on-segment
// test (point location, nearest boundaries, polygon validation) is one of
// these.
//
// The float64 fast path is
// Shewchuk's filtered orientation test; when its error bound cannot vouch
// for the sign, the determinant is evaluated exactly with error-free
// transformations (FMA products summed as a floating-point expansion), so
// "exact point-in-polygon" means exact for the float64 inputs, with no
// epsilon anywhere.

const (
	machEps      = 1.1102230246251565e-16 // 2^-53
	ccwErrBoundA = (3 + 16*machEps) * machEps
)

// orient returns the sign of the cross product (b-a)×(p-a): +1 when p is left
// of the directed line a→b, -1 when right, 0 when exactly on it.
func orient(ax, ay, bx, by, px, py float64) int {
	detl := (bx - ax) * (py - ay)
	detr := (by - ay) * (px - ax)
	det := detl - detr
	var detsum float64
	switch {
	case detl > 0:
		if detr <= 0 {
			return sgn(det)
		}
		detsum = detl + detr
	case detl < 0:
		if detr >= 0 {
			return sgn(det)
		}
		detsum = -detl - detr
	default:
		return sgn(det)
	}
	bound := ccwErrBoundA * detsum
	if det >= bound || -det >= bound {
		if det == 0 {
			return 0
		}
		return sgn(det)
	}
	return orientExact(ax, ay, bx, by, px, py)
}

func sgn(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// orientExact evaluates (b-a)×(p-a) expanded into six products
// bx·py − bx·ay − ax·py − by·px + by·ax + ay·px, each split exactly into
// hi+lo with FMA, and summed exactly as a nonoverlapping expansion. Exact
// unless a product underflows (coordinates below ~1e-150), which lon/lat
// input never approaches.
func orientExact(ax, ay, bx, by, px, py float64) int {
	var e [12]float64
	n := 0
	add := func(x float64) {
		q := x
		m := 0
		for i := 0; i < n; i++ {
			s, h := twoSum(q, e[i])
			if h != 0 {
				e[m] = h
				m++
			}
			q = s
		}
		e[m] = q
		n = m + 1
	}
	prod := func(x, y float64) {
		hi := x * y
		lo := math.FMA(x, y, -hi)
		add(hi)
		add(lo)
	}
	prod(bx, py)
	prod(-bx, ay)
	prod(-ax, py)
	prod(-by, px)
	prod(by, ax)
	prod(ay, px)
	for i := n - 1; i >= 0; i-- {
		if e[i] != 0 {
			return sgn(e[i])
		}
	}
	return 0
}

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bv := s - a
	av := s - bv
	e = (a - av) + (b - bv)
	return s, e
}

// onSegment reports whether p lies exactly on the closed segment a–b.
func onSegment(ax, ay, bx, by, px, py float64) bool {
	if px < math.Min(ax, bx) || px > math.Max(ax, bx) || py < math.Min(ay, by) || py > math.Max(ay, by) {
		return false
	}
	return orient(ax, ay, bx, by, px, py) == 0
}

// orientDet is the float64 value of (b-a)×(p-a), the determinant whose
// sign orient decides exactly: twice the signed area of triangle abp.
// Tests with a tolerance (how far a point is from a line, relative to the
// line's length) read its magnitude; tests of a sign use orient.
func orientDet(ax, ay, bx, by, px, py float64) float64 {
	return (bx-ax)*(py-ay) - (by-ay)*(px-ax)
}

// orientPt is orient on orb points: +1 when c is left of a→b.
func orientPt(a, b, c orb.Point) int { return orient(a[0], a[1], b[0], b[1], c[0], c[1]) }

// orientDetPt is orientDet on orb points.
func orientDetPt(a, b, c orb.Point) float64 { return orientDet(a[0], a[1], b[0], b[1], c[0], c[1]) }

// onSegmentPt is onSegment on orb points: c on the closed segment a–b.
func onSegmentPt(a, b, c orb.Point) bool { return onSegment(a[0], a[1], b[0], b[1], c[0], c[1]) }
