package partition

import (
	"math/rand/v2"
)

// swapPass exchanges households between neighbouring grids where no single
// move can: a weighted boundary node v of grid a goes to grid b and a
// weighted node u of b near v comes to a, when the pair of moves lowers
// the objective (balance cost plus lambda per cut edge). Where units are
// heavy (towers of 150–250 households against a mean of 500), moving one
// overshoots, but trading a 250-household tower for a 150-household one
// brings both grids 100 households nearer. Both moves keep every grid
// connected and hole-free by the simple-point rule, checked in turn. It
// returns how many swaps it made.
func (g *graph) swapPass(rng *rand.Rand, label []int32, k int, mean, lambda float64, maxPass int) int {
	W := make([]float64, k)
	for v := 0; v < g.n; v++ {
		W[label[v]] += float64(g.w[v])
	}
	order := make([]int32, 0, g.n)
	for v := 0; v < g.n; v++ {
		if g.w[v] > 0 && !g.virt[v] && !g.pinned[v] {
			order = append(order, int32(v))
		}
	}
	cutDelta := func(v, from, to int32) int {
		d := 0
		for _, u := range g.adj[v] {
			switch label[u] {
			case from:
				d++
			case to:
				d--
			}
		}
		return d
	}
	movable := func(v int32) bool { return g.w[v] > 0 && !g.virt[v] && !g.pinned[v] }
	swaps := 0
	for pass := 0; pass < maxPass; pass++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		moved := 0
		for _, v := range order {
			a := label[v]
			if g.fixed[a] {
				continue
			}
			if r, _ := g.runs(v, label, a); r != 1 {
				continue
			}
			wv := float64(g.w[v])
			for _, b := range g.cyc[v] {
				if b < 0 {
					continue
				}
				b = label[b]
				if b == a || g.fixed[b] {
					continue
				}
				if r, _ := g.runs(v, label, b); r != 1 {
					continue
				}
				base := g.cost(W[a], mean) + g.cost(W[b], mean)
				dv := cutDelta(v, a, b)
				label[v] = b
				best, bestD := int32(-1), -1e-12
				// u among the nodes of b within two steps of v.
				for _, x := range g.cyc[v] {
					if x < 0 {
						continue
					}
					for _, u := range append([]int32{x}, g.cyc[x][:]...) {
						if u < 0 || u == v || label[u] != b || !movable(u) {
							continue
						}
						wu := float64(g.w[u])
						dBal := g.cost(W[a]-wv+wu, mean) + g.cost(W[b]+wv-wu, mean) - base
						if dBal >= 0 {
							continue
						}
						if r, _ := g.runs(u, label, b); r != 1 {
							continue
						}
						if r, _ := g.runs(u, label, a); r != 1 {
							continue
						}
						d := dBal + lambda*float64(dv+cutDelta(u, b, a))
						if d < bestD {
							best, bestD = u, d
						}
					}
				}
				if best < 0 {
					label[v] = a
					continue
				}
				label[best] = a
				wu := float64(g.w[best])
				W[a] += wu - wv
				W[b] += wv - wu
				moved++
				break
			}
		}
		swaps += moved
		if moved == 0 {
			break
		}
	}
	return swaps
}
