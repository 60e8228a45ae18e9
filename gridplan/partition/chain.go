package partition

import (
	"math/rand/v2"
)

// chainDepth is how many empty cells a chain move may carry along to
// reach a weighted cell.
const chainDepth = 8

// chainLambda weighs the cut edges a chain adds against its balance gain,
// above local search's λ: a chain is a tentacle, and grids are walked.
const chainLambda = 1

// chainPass moves a weighted cell v of grid a into a neighbouring grid b
// together with the empty cells of a linking it to b (a chain of at most
// chainDepth cells), when that lowers the objective. On finely refined
// estates a tower stands among empty cells, so no single move reaches it;
// the chain is moved from b's side one cell at a time, each move passing
// the simple-point test, and undone when one fails. It returns how many
// chains it moved.
func (g *graph) chainPass(rng *rand.Rand, label []int32, k int, mean, lambda float64, maxPass int) int {
	W := make([]float64, k)
	for v := 0; v < g.n; v++ {
		W[label[v]] += float64(g.w[v])
	}
	free := func(v int32) bool { return !g.virt[v] && !g.pinned[v] }
	// prev[x] is x's predecessor on the way from the start cell, valid
	// where seen[x] == stamp (one stamp per search: no clearing).
	prev := make([]int32, g.n)
	seen := make([]int32, g.n)
	stamp := int32(0)
	total := 0
	order := make([]int32, 0, g.n)
	var bufA, bufB, path []int32 // reused: frontiers and the chain
	for pass := 0; pass < maxPass; pass++ {
		// Start cells: empty cells of a grid on its border with another.
		order = order[:0]
		for v := 0; v < g.n; v++ {
			if g.w[v] == 0 && free(int32(v)) {
				order = append(order, int32(v))
			}
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		moved := 0
		for _, s := range order {
			a := label[s]
			if g.fixed[a] {
				continue
			}
			for _, bn := range g.cyc[s] {
				if bn < 0 || label[bn] == a || g.fixed[label[bn]] {
					continue
				}
				b := label[bn]
				// Best weighted cell of a reachable from s through empty
				// cells of a, by balance gain.
				base := g.cost(W[a], mean) + g.cost(W[b], mean)
				stamp++
				seen[s], prev[s] = stamp, -1
				frontier := append(bufA[:0], s)
				next := bufB[:0]
				best, bestGain := int32(-1), 1e-9
				for d := 0; d < chainDepth && len(frontier) > 0; d++ {
					next = next[:0]
					for _, x := range frontier {
						for _, u := range g.cyc[x] {
							if u < 0 || label[u] != a || !free(u) {
								continue
							}
							if seen[u] == stamp {
								continue
							}
							seen[u], prev[u] = stamp, x
							if g.w[u] == 0 {
								next = append(next, u)
								continue
							}
							wu := float64(g.w[u])
							if gain := base - g.cost(W[a]-wu, mean) - g.cost(W[b]+wu, mean); gain > bestGain {
								best, bestGain = u, gain
							}
						}
					}
					frontier, next = next, frontier
				}
				bufA, bufB = frontier, next
				if best < 0 {
					continue
				}
				path = path[:0] // s first, best last
				for x := best; x >= 0; x = prev[x] {
					path = append(path, x)
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				ok := true
				done, dCut := 0, 0
				for _, x := range path {
					if r, _ := g.runs(x, label, a); r != 1 {
						ok = false
						break
					}
					if r, _ := g.runs(x, label, b); r != 1 {
						ok = false
						break
					}
					for _, u := range g.adj[x] {
						switch label[u] {
						case a:
							dCut++
						case b:
							dCut--
						}
					}
					label[x] = b
					done++
				}
				if ok && bestGain-chainLambda*lambda*float64(dCut) <= 0 {
					ok = false
				}
				if !ok {
					for _, x := range path[:done] {
						label[x] = a
					}
					continue
				}
				wv := float64(g.w[best])
				W[a] -= wv
				W[b] += wv
				moved++
				break
			}
		}
		total += moved
		if moved == 0 {
			break
		}
	}
	return total
}
