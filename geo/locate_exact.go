package geo

// The tie rule's perturbed predicates, on top of the exact orientation
// test of predicates.go.

// sideP is the side of the perturbed point q+(δ,ε) (0 < ε ≪ δ, both
// infinitesimal) relative to the directed line a→b: the sign of
// orient(a,b,q) + (bx-ax)ε − (by-ay)δ. It is never 0 for a ≠ b. This
// perturbation is the tie rule: a point is located where the point nudged
// east (and, more weakly, north) would be.
func sideP(ax, ay, bx, by, qx, qy float64) int {
	if o := orient(ax, ay, bx, by, qx, qy); o != 0 {
		return o
	}
	switch {
	case by > ay:
		return -1
	case by < ay:
		return 1
	case bx > ax:
		return 1
	case bx < ax:
		return -1
	}
	return 0
}

// sideL is the side of the unperturbed vertex a relative to the directed
// line through the perturbed points p+t → r+t (t = (δ,ε) as in sideP):
// the sign of orient(p,r,a) + (ry-py)δ − (rx-px)ε. Never 0 for p ≠ r.
func sideL(px, py, rx, ry, ax, ay float64) int {
	if o := orient(px, py, rx, ry, ax, ay); o != 0 {
		return o
	}
	switch {
	case ry > py:
		return 1
	case ry < py:
		return -1
	case rx > px:
		return -1
	case rx < px:
		return 1
	}
	return 0
}
