package geo

import "math"

// Nearest returns the area nearest to (lon, lat) and the distance in metres
// to its boundary; distance 0 and the Locate answer when a area contains the
// point. It answers "outside the district, but nearest to grid X".
//
// Distances are measured in a local equirectangular projection centred on
// the query point (x = Δlon·cos(lat), y = Δlat, scaled by EarthRadiusM), in
// which the distance to an edge is the planar point–segment distance. Within
// a district (tens of km) this is within ~0.1% of the great-circle distance
// to the edge. Ties go to the lowest index. It returns (-1, +Inf) for an
// empty index or non-finite coordinates. It allocates nothing; cost grows
// with the distance to the nearest boundary (a ring search over the raster).
func (ix *PolygonIndex) Nearest(lon, lat float64) (i int, distanceM float64) {
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) || ix.nx == 0 {
		return -1, math.Inf(1)
	}
	if i, ok := ix.Locate(lon, lat); ok {
		return i, 0
	}
	kx := math.Cos(lat*math.Pi/180) * (math.Pi / 180 * EarthRadiusM) // metres per degree of lon
	ky := math.Pi / 180 * EarthRadiusM
	c0, r0 := ix.col(lon), ix.row(lat)
	best, bestD2 := -1, math.Inf(1)
	visit := func(c, r int) {
		v := ix.cells[r*ix.nx+c]
		if v >= 0 {
			return // uniform cells have no edges; an inside one would have located the point
		}
		nc, _, cands, es := ix.mixBlock(uint32(-v - 1))
		if nc > 64 {
			for _, a64 := range cands {
				a := int(a64)
				d2 := ix.areaDist2(a, lon, lat, kx, ky)
				if d2 < bestD2 || (d2 == bestD2 && a < best) {
					best, bestD2 = a, d2
				}
			}
			return
		}
		for k := 0; k+edgeWords <= len(es); k += edgeWords {
			ax, ay := math.Float64frombits(es[k]), math.Float64frombits(es[k+1])
			bx, by := math.Float64frombits(es[k+2]), math.Float64frombits(es[k+3])
			d2 := segDist2((ax-lon)*kx, (ay-lat)*ky, (bx-lon)*kx, (by-lat)*ky)
			a, a2 := edgeAreas(cands, es[k+4])
			for _, a := range [2]int{a, a2} {
				if a >= 0 && (d2 < bestD2 || (d2 == bestD2 && a < best)) {
					best, bestD2 = a, d2
				}
			}
		}
	}
	for rad := 0; ; rad++ {
		cl, ch, rl, rh := c0-rad, c0+rad, r0-rad, r0+rad
		for c := max(cl, 0); c <= min(ch, ix.nx-1); c++ {
			if rl >= 0 {
				visit(c, rl)
			}
			if rh < ix.ny && rh != rl {
				visit(c, rh)
			}
		}
		for r := max(rl+1, 0); r <= min(rh-1, ix.ny-1); r++ {
			if cl >= 0 {
				visit(cl, r)
			}
			if ch < ix.nx && ch != cl {
				visit(ch, r)
			}
		}
		// Lower bound on the distance to any cell outside the visited square:
		// the distance to the nearest of its sides that is not the raster's edge.
		lb := math.Inf(1)
		if cl > 0 {
			lb = math.Min(lb, (lon-ix.xs[cl])*kx)
		}
		if ch < ix.nx-1 {
			lb = math.Min(lb, (ix.xs[ch+1]-lon)*kx)
		}
		if rl > 0 {
			lb = math.Min(lb, (lat-ix.ys[rl])*ky)
		}
		if rh < ix.ny-1 {
			lb = math.Min(lb, (ix.ys[rh+1]-lat)*ky)
		}
		if math.IsInf(lb, 1) || (best >= 0 && bestD2 < lb*lb) {
			break
		}
	}
	return best, math.Sqrt(bestD2)
}

// areaDist2 is the squared projected distance from the point to area a's
// boundary (for over-full cells).
func (ix *PolygonIndex) areaDist2(a int, lon, lat, kx, ky float64) float64 {
	d2 := math.Inf(1)
	for _, poly := range ix.areas[a].Geom {
		for _, ring := range poly {
			n := len(ring)
			for k := 0; k < n; k++ {
				p, q := ring[k], ring[(k+1)%n]
				d2 = math.Min(d2, segDist2((p[0]-lon)*kx, (p[1]-lat)*ky, (q[0]-lon)*kx, (q[1]-lat)*ky))
			}
		}
	}
	return d2
}

// segDist2 is the squared distance from the origin to segment a–b.
func segDist2(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	x, y := ax+t*dx, ay+t*dy
	return x*x + y*y
}
