package partition

import (
	"math"
	"math/rand/v2"
)

// The unit search re-plans a community's balance on its households' units
// rather than on cells. A unit is a node holding households (a tower, a
// house, a cell of village houses) together with the empty cells nearer to
// it than to any other such node (a breadth-first Voronoi region of the
// cell graph, which is connected). Grids are then groups of units: a group
// connected in the unit graph (units whose regions share a cell edge) is a
// connected set of cells, and the cells' cut between two groups is the sum
// of the cell edges between their units. On that small graph (tens to a few
// hundred units against thousands of cells) simulated annealing can try
// the combinations that single cell moves, swaps and chains do not reach:
// on tower estates a grid is two or three whole towers, and a grid lands
// within the tolerance only for the right combination.

// unitGraph is a community's units: the node each unit grows from, each
// node's unit, the units' households and their adjacency weighted by the
// cell edges between them.
type unitGraph struct {
	src    []int32 // unit -> its weighted node
	unitOf []int32 // node -> unit, -1 for nodes of fixed grids
	w      []float64
	adj    [][]unitEdge
}

type unitEdge struct {
	to    int32
	edges int // cell edges between the two units' regions
}

// units builds the unit graph of the nodes outside fixed grids; it returns
// nil when a node outside fixed grids is not reached from a unit (a part
// without households cut off by fixed grids).
func (g *graph) units(label []int32) *unitGraph {
	ug := &unitGraph{unitOf: make([]int32, g.n)}
	var q []int32
	for v := 0; v < g.n; v++ {
		ug.unitOf[v] = -1
		if g.fixed[label[v]] || g.w[v] == 0 {
			continue
		}
		ug.unitOf[v] = int32(len(ug.src))
		ug.src = append(ug.src, int32(v))
		ug.w = append(ug.w, float64(g.w[v]))
		q = append(q, int32(v))
	}
	for i := 0; i < len(q); i++ {
		v := q[i]
		for _, u := range g.adj[v] {
			if ug.unitOf[u] < 0 && !g.fixed[label[u]] {
				ug.unitOf[u] = ug.unitOf[v]
				q = append(q, u)
			}
		}
	}
	for v := 0; v < g.n; v++ {
		if ug.unitOf[v] < 0 && !g.fixed[label[v]] {
			return nil
		}
	}
	n := len(ug.src)
	ug.adj = make([][]unitEdge, n)
	add := func(a, b int32) {
		for i := range ug.adj[a] {
			if ug.adj[a][i].to == b {
				ug.adj[a][i].edges++
				return
			}
		}
		ug.adj[a] = append(ug.adj[a], unitEdge{b, 1})
	}
	for v := 0; v < g.n; v++ {
		a := ug.unitOf[v]
		if a < 0 {
			continue
		}
		for _, u := range g.adj[v] {
			if b := ug.unitOf[u]; b >= 0 && b != a {
				add(a, b)
			}
		}
	}
	return ug
}

// unitIters is the annealing steps a unit, per run, and unitRuns the runs
// (the best kept): measured on the tower district, 10× more steps found no
// better assignment; one run instead of two saved 40 % of its CPU but left
// a grid at 24.5 % (18.7 % with two). unitMaxSteps
// bounds a run where units are many (a village of thousands of houses, or
// Pukou with ten times its buildings), whose grids are fine-tuned by small
// units anyway: without it Pukou ×10 took three times the CPU.
const (
	unitIters    = 4000
	unitRuns     = 2
	unitMaxSteps = 400_000
)

// unitState is an assignment of units to grids under annealing.
type unitState struct {
	ug     *unitGraph
	lab    []int32
	W      []float64
	count  []int // units per grid
	fixed  []bool
	mean   float64
	tol    float64 // relative tolerance the search aims inside
	lambda float64 // per cell edge cut
	seen   []int32 // BFS stamps
	stamp  int32
	queue  []int32
	temps  *tempMemo // the community's annealing temperatures, nil: not kept
}

// gridCost is one grid's balance cost: squared deviation, steeply more
// beyond the tolerance, and a step for being beyond it at all, so that the
// search counts grids out of tolerance before it polishes the others.
func (s *unitState) gridCost(w float64) float64 {
	d := (w - s.mean) / s.mean
	e := math.Abs(d) - s.tol
	if e <= 0 {
		return d * d
	}
	return d*d + 200*e*e + 0.02
}

// cutOf is the cell edges between unit u and units of grid p.
func (s *unitState) cutOf(u, p int32) int {
	c := 0
	for _, e := range s.ug.adj[u] {
		if s.lab[e.to] == p {
			c += e.edges
		}
	}
	return c
}

// connectedWithout reports whether grid p's units stay connected without
// units x and y (y may be -1), and that at least one remains.
func (s *unitState) connectedWithout(p, x, y int32) bool {
	left := s.count[p] - 1
	if y >= 0 && s.lab[y] == p {
		left--
	}
	if left <= 0 {
		return false
	}
	start := int32(-1)
	for _, e := range s.ug.adj[x] {
		if s.lab[e.to] == p && e.to != y {
			start = e.to
			break
		}
	}
	if start < 0 && y >= 0 {
		for _, e := range s.ug.adj[y] {
			if s.lab[e.to] == p && e.to != x {
				start = e.to
				break
			}
		}
	}
	if start < 0 {
		return false // x (and y) touch none of p's other units: p would split
	}
	s.stamp++
	st := s.stamp
	s.seen[start] = st
	q := append(s.queue[:0], start)
	reached := 1
	for i := 0; i < len(q); i++ {
		for _, e := range s.ug.adj[q[i]] {
			u := e.to
			if u == x || u == y || s.lab[u] != p || s.seen[u] == st {
				continue
			}
			s.seen[u] = st
			reached++
			q = append(q, u)
		}
	}
	s.queue = q
	return reached == left
}

// touches reports whether unit u has a neighbour in grid p other than x.
func (s *unitState) touches(u, p, x int32) bool {
	for _, e := range s.ug.adj[u] {
		if e.to != x && s.lab[e.to] == p {
			return true
		}
	}
	return false
}

// anneal runs simulated annealing over single moves (a unit to a
// neighbouring grid) and swaps (a unit of a for a unit of b next to it),
// keeping every grid connected in the unit graph, and leaves the best
// assignment seen in best. It returns the best objective.
func (s *unitState) anneal(rng *rand.Rand, iters int, best []int32) float64 {
	n := int32(len(s.lab))
	f := 0.0
	for p := range s.W {
		if !s.fixed[p] {
			f += s.gridCost(s.W[p])
		}
	}
	for u := int32(0); u < n; u++ {
		for _, e := range s.ug.adj[u] {
			if s.lab[e.to] != s.lab[u] && e.to > u {
				f += s.lambda * float64(e.edges)
			}
		}
	}
	bestF := f
	copy(best, s.lab)
	t0, t1 := 0.3, 1e-4
	// The temperature at step it, computed only for the steps that test a
	// worsening move, and once per community (s.temps).
	temp := func(it int) float64 { return t0 * math.Pow(t1/t0, float64(it)/float64(iters)) }
	if s.temps != nil {
		temp = s.temps.memo(iters, t0, t1, temp)
	}
	for it := 0; it < iters; it++ {
		u := int32(rng.IntN(int(n)))
		a := s.lab[u]
		adj := s.ug.adj[u]
		if len(adj) == 0 {
			continue
		}
		b := a
		for try := 0; try < 3 && b == a; try++ {
			b = s.lab[adj[rng.IntN(len(adj))].to]
		}
		if b == a || s.fixed[b] {
			continue
		}
		wu := s.ug.w[u]
		if rng.IntN(2) == 0 {
			// Move u to b.
			if !s.connectedWithout(a, u, -1) {
				continue
			}
			d := s.gridCost(s.W[a]-wu) + s.gridCost(s.W[b]+wu) - s.gridCost(s.W[a]) - s.gridCost(s.W[b])
			d += s.lambda * float64(s.cutOf(u, a)-s.cutOf(u, b))
			if d > 0 && rng.Float64() >= math.Exp(-d/temp(it)) {
				continue
			}
			s.lab[u] = b
			s.W[a] -= wu
			s.W[b] += wu
			s.count[a]--
			s.count[b]++
			f += d
		} else {
			// Swap u with a unit v of b that touches a once u has left.
			var v int32 = -1
			for range 4 {
				x := adj[rng.IntN(len(adj))].to
				if s.lab[x] == b {
					v = x
					break
				}
			}
			if v < 0 {
				continue
			}
			wv := s.ug.w[v]
			if wv == wu {
				continue
			}
			cutBefore := s.cutOf(u, b) + s.cutOf(v, a) // edges u-b and v-a, u-v counted in both
			d := s.gridCost(s.W[a]-wu+wv) + s.gridCost(s.W[b]+wu-wv) - s.gridCost(s.W[a]) - s.gridCost(s.W[b])
			s.lab[u], s.lab[v] = b, a
			ok := s.touches(v, a, u) && s.connectedAfterSwap(a, v) && s.connectedAfterSwap(b, u)
			cutAfter := s.cutOf(u, a) + s.cutOf(v, b)
			d += s.lambda * float64(cutAfter-cutBefore)
			if !ok || d > 0 && rng.Float64() >= math.Exp(-d/temp(it)) {
				s.lab[u], s.lab[v] = a, b
				continue
			}
			s.W[a] += wv - wu
			s.W[b] += wu - wv
			f += d
		}
		if f < bestF-1e-12 {
			bestF = f
			copy(best, s.lab)
		}
	}
	return bestF
}

// connectedAfterSwap reports whether grid p's units (labels already
// swapped) are connected, starting from unit from, which is in p.
func (s *unitState) connectedAfterSwap(p, from int32) bool {
	s.stamp++
	st := s.stamp
	s.seen[from] = st
	q := append(s.queue[:0], from)
	for i := 0; i < len(q); i++ {
		for _, e := range s.ug.adj[q[i]] {
			if s.lab[e.to] == p && s.seen[e.to] != st {
				s.seen[e.to] = st
				q = append(q, e.to)
			}
		}
	}
	s.queue = q
	return len(q) == s.count[p]
}

// unitSearch re-plans the grids' households on units (see above) when a
// grid lies beyond tol of the mean, starting from label, and writes the
// result into label when it has fewer grids beyond tol, or as many and a
// lower balance cost. Every grid stays connected; fixed grids are left
// alone. It reports whether label changed.
func (g *graph) unitSearch(rng *rand.Rand, label []int32, k int, mean, lambda, tol float64) bool {
	ug := g.units(label)
	if ug == nil || len(ug.src) < 2 {
		return false
	}
	n := len(ug.src)
	s := &unitState{ug: ug, lab: make([]int32, n), W: make([]float64, k), count: make([]int, k),
		fixed: g.fixed, mean: mean, tol: tol * 0.97, lambda: lambda, seen: make([]int32, n), temps: &g.temps}
	for u := range ug.src {
		p := label[ug.src[u]]
		s.lab[u] = p
		s.W[p] += ug.w[u]
		s.count[p]++
	}
	for p := 0; p < k; p++ {
		if !g.fixed[p] && s.count[p] == 0 {
			return false // a grid without households: nothing to anneal it with
		}
	}
	if !s.repairConnectivity(k) {
		return false
	}
	best := make([]int32, n)
	bestF := math.Inf(1)
	cur := make([]int32, n)
	try := make([]int32, n)
	copy(cur, s.lab)
	for range unitRuns {
		copy(s.lab, cur)
		s.recount(k)
		if f := s.anneal(rng, min(unitIters*n, unitMaxSteps), try); f < bestF {
			bestF = f
			copy(best, try)
		}
	}
	if g.n*k <= maxExtraStartWork { // cheap here (not Pukou ×10's communities)
		copy(s.lab, best)
		s.recount(k)
		if s.ejectionChains(k) > 0 {
			copy(best, s.lab)
		}
	}

	before := countOut(g.partWeights(label, k), g.fixed, mean, tol)
	next := make([]int32, g.n)
	for v := 0; v < g.n; v++ {
		next[v] = label[v]
		if u := ug.unitOf[v]; u >= 0 {
			next[v] = best[u]
		}
	}
	after := countOut(g.partWeights(next, k), g.fixed, mean, tol)
	if after > before || after == before && balanceCost(g, next, k, mean) >= balanceCost(g, label, k, mean) {
		return false
	}
	copy(label, next)
	return true
}

func (s *unitState) recount(k int) {
	clear(s.W)
	clear(s.count)
	for u, p := range s.lab {
		s.W[p] += s.ug.w[u]
		s.count[p]++
	}
}

// repairConnectivity makes every grid's units connected in the unit graph
// (the cell labelling they come from is connected, but a unit's region may
// cut through a neighbour's cells): a grid keeps its largest component and
// the other units join a neighbouring grid. It reports false when a grid
// would be left without units.
func (s *unitState) repairConnectivity(k int) bool {
	n := len(s.lab)
	for range n {
		changed := false
		for p := int32(0); p < int32(k); p++ {
			if s.fixed[p] {
				continue
			}
			comp := make([]int32, 0)
			var comps [][]int32
			s.stamp++
			st := s.stamp
			for u := 0; u < n; u++ {
				if s.lab[u] != p || s.seen[u] == st {
					continue
				}
				comp = []int32{int32(u)}
				s.seen[u] = st
				for i := 0; i < len(comp); i++ {
					for _, e := range s.ug.adj[comp[i]] {
						if s.lab[e.to] == p && s.seen[e.to] != st {
							s.seen[e.to] = st
							comp = append(comp, e.to)
						}
					}
				}
				comps = append(comps, comp)
			}
			if len(comps) < 2 {
				continue
			}
			big := 0
			for i := range comps {
				if len(comps[i]) > len(comps[big]) {
					big = i
				}
			}
			for i, c := range comps {
				if i == big {
					continue
				}
				for _, u := range c {
					for _, e := range s.ug.adj[u] {
						if q := s.lab[e.to]; q != p && !s.fixed[q] {
							s.lab[u] = q
							changed = true
							break
						}
					}
				}
			}
		}
		if !changed {
			break
		}
	}
	s.recount(k)
	for p := 0; p < k; p++ {
		if !s.fixed[p] && s.count[p] == 0 {
			return false
		}
	}
	return true
}

// countOut is how many grids (fixed ones aside) lie beyond tol of mean.
func countOut(W []float64, fixed []bool, mean, tol float64) int {
	n := 0
	for p, w := range W {
		if !fixed[p] && math.Abs(w-mean) > tol*mean {
			n++
		}
	}
	return n
}

// balanceCost is the balance part of the objective.
func balanceCost(g *graph, label []int32, k int, mean float64) float64 {
	f := 0.0
	for p, w := range g.partWeights(label, k) {
		if !g.fixed[p] {
			f += g.cost(w, mean)
		}
	}
	return f
}
