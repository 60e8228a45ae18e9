package partition

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// graph is a community's contiguity graph: one node a cell whose centre is
// inside the community (or that holds a building), weighted by households.
// cyc lists a node's six neighbours in boundary order (-1 for a non-node),
// which lets a move be checked for keeping both grids' topology with six
// lookups: on a hexagonal lattice a cell can leave one set and join another
// without disconnecting either or opening a hole exactly when its
// neighbours in each set form one contiguous run (the simple-point rule).
type graph struct {
	n    int
	w    []int
	adj  [][]int32 // real neighbours, plus virtual links between the parts of a multi-part community
	cyc  [][6]int32
	virt []bool // has a virtual link: never moved by local search
	// pinned nodes hold a building too big for a grid (or the corridor
	// opening its grid): never moved; fixed parts are those grids, which
	// local search and ReCom leave alone.
	pinned []bool
	fixed  []bool
	pos    []orb.Point

	t     *cellTable
	cells []int32 // table index of each node
	scr   cutScratch

	mark  []int32 // scratch for region membership
	loc   []int32 // scratch: a node's index in the region being cut
	stamp int32

	temps tempMemo // the unit search's annealing temperatures
}

// Tuning, measured on Pukou (see README).
const (
	treesPerSplit = 12   // random spanning trees tried per bisection
	treesPerRecom = 6    // and per ReCom re-split of a pair
	splitEps      = 0.05 // acceptable side deviation of a bisection, of the mean grid
	softDev       = 0.05 // deviation beyond which balance is penalised steeply
)

func (g *graph) cost(wt, mean float64) float64 {
	d := (wt - mean) / mean
	e := math.Abs(d) - softDev
	if e < 0 {
		e = 0
	}
	return d*d + 20*e*e
}

// bisectAll partitions the nodes into k connected parts by recursive
// bisection; each cut is the best of many random spanning-tree cuts.
func (g *graph) bisectAll(rng *rand.Rand, k int, mean float64) []int32 {
	label := make([]int32, g.n)
	nodes := make([]int32, g.n)
	for i := range nodes {
		nodes[i] = int32(i)
	}
	next := int32(0)
	g.split(rng, nodes, k, mean, label, &next)
	return label
}

func (g *graph) split(rng *rand.Rand, nodes []int32, k int, mean float64, label []int32, next *int32) {
	if k <= 1 || len(nodes) <= 1 {
		for _, v := range nodes {
			label[v] = *next
		}
		*next++
		return
	}
	k1 := k / 2
	k2 := k - k1
	side := g.bestCut(rng, nodes, k1, k2, treesPerSplit)
	var a, b []int32
	for i, v := range nodes {
		if side[i] {
			a = append(a, v)
		} else {
			b = append(b, v)
		}
	}
	// side marks the k1 share.
	g.split(rng, a, k1, mean, label, next)
	g.split(rng, b, k2, mean, label, next)
}

// bestCut returns, for each of nodes, whether it goes to the side meant for
// k1 grids. Both sides are connected in the graph. Its phases: load the
// region, then per random spanning tree grow it, weigh its subtrees and
// score its best-balanced edges, keeping the best few cuts; finally pick
// the best kept cut that encloses nothing.
func (g *graph) bestCut(rng *rand.Rand, nodes []int32, k1, k2, trees int) []bool {
	r := g.loadRegion(nodes, k1, k2)
	defer r.release()
	for tr := 0; tr < trees; tr++ {
		root, ok := r.growTree(rng)
		if !ok {
			// The region is not connected (callers pass connected
			// regions); skip the tree.
			continue
		}
		r.subtreeWeights()
		for ci, c := range r.balancedEdges(root) {
			if ci > 0 && c.dev > splitEps {
				break
			}
			r.markSub(c.v)
			r.keep(r.score(c), c)
		}
	}
	return r.pickSide()
}

// cutRegion is bestCut's working state for one region: its nodes, their
// local adjacency and the current spanning tree, all in scratch arrays of
// the graph reused across calls.
type cutRegion struct {
	g      *graph
	nodes  []int32
	n      int
	st     int32 // g.mark stamp of the region's nodes
	mean   float64
	t1, t2 float64 // the two sides' targets
	sqrtN  float64

	touches []bool // node touches the region's outside (or has a virtual link)
	nTouch  int
	off     []int32 // local adjacency in CSR form: nbr[off[i]:off[i+1]]
	nbr     []int32

	// The current tree: each node's parent (-1 at the root), the nodes in
	// growth order (a parent before its children) and each node's position
	// in it. A subtree's nodes all follow its root in that order, so one
	// forward pass from the root marks it (inSub[x] == subStamp).
	parent, order, pos []int32
	inSub              []uint32
	subStamp           uint32
	frontier           []fedge
	sub                []float64

	best [3]keptCut // the best few cuts over all trees, best first
}

// keptCut is a cut kept for the final enclave test: the nodes marked in
// in go to the k1 side when toK1.
type keptCut struct {
	score float64
	root  int32
	toK1  bool
	in    []bool
}

// cutCand is a tree edge (the one above v) and its balance deviation.
type cutCand struct {
	v    int32
	dev  float64
	toK1 bool
}

// loadRegion marks nodes as the region, sums the targets, finds the nodes
// touching the region's outside (a side touching none would be an enclave
// of the other) and builds the local adjacency.
func (g *graph) loadRegion(nodes []int32, k1, k2 int) *cutRegion {
	n := len(nodes)
	g.stamp++
	st := g.stamp
	W := 0
	for i, v := range nodes {
		g.mark[v] = st
		g.loc[v] = int32(i)
		W += g.w[v]
	}
	sc := &g.scr
	sc.grow(n)
	r := &cutRegion{g: g, nodes: nodes, n: n, st: st, sqrtN: math.Sqrt(float64(n))}
	r.mean = float64(W) / float64(k1+k2)
	r.t1, r.t2 = r.mean*float64(k1), r.mean*float64(k2)
	r.touches = sc.touches[:n]
	clear(r.touches)
	for i, v := range nodes {
		for _, u := range g.cyc[v] {
			if u < 0 || g.mark[u] != st {
				r.touches[i] = true
				break
			}
		}
		if g.virt[v] {
			r.touches[i] = true
		}
		if r.touches[i] {
			r.nTouch++
		}
	}
	r.off = sc.off[:n+1]
	r.off[0] = 0
	nbr := sc.nbr[:0]
	for i, v := range nodes {
		for _, u := range g.adj[v] {
			if g.mark[u] == st {
				nbr = append(nbr, g.loc[u])
			}
		}
		r.off[i+1] = int32(len(nbr))
	}
	sc.nbr, r.nbr = nbr, nbr
	r.parent, r.order, r.pos = sc.parent[:n], sc.order[:0], sc.pos[:n]
	r.inSub, r.subStamp = sc.inSub[:n], sc.subStamp
	r.sub, r.frontier = sc.sub[:n], sc.frontier[:0]
	for i := range r.best {
		r.best[i] = keptCut{score: math.Inf(1), root: -1, in: sc.keptIn[i][:0]}
	}
	return r
}

// release hands the buffers that grew back to the graph's scratch.
func (r *cutRegion) release() {
	sc := &r.g.scr
	sc.order, sc.frontier, sc.subStamp = r.order, r.frontier, r.subStamp
	for i := range r.best {
		sc.keptIn[i] = r.best[i].in
	}
}

// growTree grows a random spanning tree from a random node by adding a
// uniformly chosen frontier edge at each step (random Prim): linear time,
// and its subtrees are compact blobs, which is what a grid should be. It
// reports false when the tree does not span the region.
func (r *cutRegion) growTree(rng *rand.Rand) (root int32, ok bool) {
	parent, pos, off, nbr := r.parent, r.pos, r.off, r.nbr
	for i := range parent {
		parent[i] = -2
	}
	order := r.order[:0]
	frontier := r.frontier[:0]
	r0 := int32(rng.IntN(r.n))
	parent[r0] = -1
	pos[r0] = 0
	order = append(order, r0)
	for _, u := range nbr[off[r0]:off[r0+1]] {
		frontier = append(frontier, fedge{r0, u})
	}
	for len(frontier) > 0 {
		i := rng.IntN(len(frontier))
		fe := frontier[i]
		frontier[i] = frontier[len(frontier)-1]
		frontier = frontier[:len(frontier)-1]
		if parent[fe.to] != -2 {
			continue
		}
		parent[fe.to] = fe.from
		pos[fe.to] = int32(len(order))
		order = append(order, fe.to)
		for _, u := range nbr[off[fe.to]:off[fe.to+1]] {
			if parent[u] == -2 {
				frontier = append(frontier, fedge{fe.to, u})
			}
		}
	}
	r.order, r.frontier = order, frontier
	return r0, len(order) == r.n
}

// subtreeWeights sums households per subtree in reverse growth order
// (children before parents). The weights are whole numbers, so the sums
// are exact in any order.
func (r *cutRegion) subtreeWeights() {
	sub, w, nodes, parent := r.sub, r.g.w, r.nodes, r.parent
	for _, x := range r.order {
		sub[x] = float64(w[nodes[x]])
	}
	for i := len(r.order) - 1; i > 0; i-- {
		x := r.order[i]
		sub[parent[x]] += sub[x]
	}
}

// balancedEdges returns the tree's four best-balanced cuts, best first.
func (r *cutRegion) balancedEdges(root int32) []cutCand {
	var top [4]cutCand
	nt := 0
	for x := int32(0); x < int32(r.n); x++ {
		if x == root {
			continue
		}
		s := r.sub[x]
		d1, d2 := math.Abs(s-r.t1), math.Abs(s-r.t2)
		c := cutCand{x, d1 / r.mean, true}
		if d2 < d1 {
			c = cutCand{x, d2 / r.mean, false}
		}
		if nt == len(top) && c.dev >= top[nt-1].dev {
			continue
		}
		if nt < len(top) {
			nt++
		}
		i := nt - 1
		for i > 0 && top[i-1].dev > c.dev {
			top[i] = top[i-1]
			i--
		}
		top[i] = c
	}
	return top[:nt]
}

// markSub marks the current tree's subtree at root (inSub[x] ==
// subStamp): the root, then in growth order every node whose parent is
// marked.
func (r *cutRegion) markSub(root int32) {
	r.subStamp++
	if r.subStamp == 0 { // wrapped: stale marks could match again
		clear(r.g.scr.inSub)
		r.subStamp = 1
	}
	st, in, parent := r.subStamp, r.inSub, r.parent
	in[root] = st
	for _, x := range r.order[r.pos[root]+1:] {
		if in[parent[x]] == st {
			in[x] = st
		}
	}
}

// score rates a cut (its subtree marked by markSub): balance first
// (within splitEps is nearly free), then cut length over √n
// (compactness); a side that touches no outside of the region would be
// enclosed by the other and is penalised by 50.
func (r *cutRegion) score(c cutCand) float64 {
	st, in, off, nbr := r.subStamp, r.inSub, r.off, r.nbr
	cut, touchIn := 0, 0
	for _, x := range r.order[r.pos[c.v]:] {
		if in[x] != st {
			continue
		}
		if r.touches[x] {
			touchIn++
		}
		for _, u := range nbr[off[x]:off[x+1]] {
			if in[u] != st {
				cut++
			}
		}
	}
	score := 8*math.Max(c.dev, splitEps/2) + float64(cut)/r.sqrtN
	if c.dev > splitEps {
		score += 100 * c.dev
	}
	if touchIn == 0 || touchIn == r.nTouch {
		score += 50 // one side would enclose the other
	}
	return score
}

// keep inserts the cut (its subtree marked by markSub) among the best kept
// ones when it scores better than the last, recycling the dropped entry's
// buffer for its membership.
func (r *cutRegion) keep(score float64, c cutCand) {
	last := r.best[len(r.best)-1]
	if score >= last.score {
		return
	}
	in := last.in[:0]
	st := r.subStamp
	for _, s := range r.inSub {
		in = append(in, s == st)
	}
	e := keptCut{score, c.v, c.toK1, in}
	i := len(r.best) - 1
	for i > 0 && r.best[i-1].score > score {
		r.best[i] = r.best[i-1]
		i--
	}
	r.best[i] = e
}

// pickSide takes the best kept cut whose sides enclose nothing (the ring
// walk runs only on these few) and marks the k1 side.
func (r *cutRegion) pickSide() []bool {
	pick := -1
	for i := range r.best {
		if r.best[i].root < 0 {
			break
		}
		b := &r.best[i]
		if b.score < 50 && !r.g.cutEncloses(r.nodes, r.st, b.in) {
			pick = i
			break
		}
	}
	if pick < 0 {
		pick = 0 // every kept cut encloses: take the best anyway; fixEnclaves repairs it
	}
	b := &r.best[pick]
	side := make([]bool, r.n)
	if b.root < 0 {
		// No tree spanned the region: give everything to the k1 side's
		// sibling; never happens for connected regions.
		return side
	}
	for i, in := range b.in {
		side[i] = in == b.toK1
	}
	return side
}

// runs counts the contiguous runs of label l among v's six neighbours in
// boundary order, and how many neighbours carry it.
func (g *graph) runs(v int32, label []int32, l int32) (runs, count int) {
	c := &g.cyc[v]
	lab := func(j int) int32 {
		u := c[j]
		if u < 0 {
			return -1
		}
		return label[u]
	}
	prev := lab(5)
	for j := 0; j < 6; j++ {
		cur := lab(j)
		if cur == l {
			count++
			if prev != l {
				runs++
			}
		}
		prev = cur
	}
	return
}

// localSearch moves boundary cells between grids (AZP style) while that
// lowers balance cost plus lambda per cut edge, keeping every grid
// connected and hole-free by the simple-point rule. With warm set, a move
// that changes households must improve balance: it keeps a previous plan's
// households where they were.
func (g *graph) localSearch(rng *rand.Rand, label []int32, k int, mean, lambda float64, maxPass int, warm bool) {
	W := make([]float64, k)
	for v := 0; v < g.n; v++ {
		W[label[v]] += float64(g.w[v])
	}
	order := make([]int32, g.n)
	for i := range order {
		order[i] = int32(i)
	}
	var cands [6]int32
	for pass := 0; pass < maxPass; pass++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		moved := 0
		for _, v := range order {
			if g.virt[v] || g.pinned[v] {
				continue
			}
			a := label[v]
			nc := 0
			for _, u := range g.cyc[v] {
				if u >= 0 && label[u] != a && !slices.Contains(cands[:nc], label[u]) {
					cands[nc] = label[u]
					nc++
				}
			}
			if nc == 0 {
				continue
			}
			if r, _ := g.runs(v, label, a); r != 1 {
				continue
			}
			wv := float64(g.w[v])
			nA := 0
			for _, u := range g.adj[v] {
				if label[u] == a {
					nA++
				}
			}
			best, bestD := int32(-1), -1e-12
			for _, b := range cands[:nc] {
				if g.fixed[b] {
					continue
				}
				if r, _ := g.runs(v, label, b); r != 1 {
					continue
				}
				nB := 0
				for _, u := range g.adj[v] {
					if label[u] == b {
						nB++
					}
				}
				dBal := g.cost(W[a]-wv, mean) + g.cost(W[b]+wv, mean) - g.cost(W[a], mean) - g.cost(W[b], mean)
				d := dBal + lambda*float64(nA-nB)
				if warm && wv > 0 && dBal >= 0 {
					continue
				}
				if d < bestD {
					best, bestD = b, d
				}
			}
			if best >= 0 {
				label[v] = best
				W[a] -= wv
				W[best] += wv
				moved++
			}
		}
		if moved == 0 {
			break
		}
	}
}

// objective is the value localSearch lowers.
func (g *graph) objective(label []int32, k int, mean, lambda float64) float64 {
	W := make([]float64, k)
	cut := 0
	for v := 0; v < g.n; v++ {
		W[label[v]] += float64(g.w[v])
		for _, u := range g.adj[v] {
			if label[u] != label[v] {
				cut++
			}
		}
	}
	f := lambda * float64(cut) / 2
	for _, x := range W {
		f += g.cost(x, mean)
	}
	return f
}

// recom merges adjacent pairs of grids whose balance is worst and re-splits
// them by the best spanning-tree cut, keeping the result when the
// objective falls (ReCom).
func (g *graph) recom(rng *rand.Rand, label []int32, k int, mean, lambda float64, rounds int) {
	if k < 2 {
		return
	}
	for r := 0; r < rounds; r++ {
		W := make([]float64, k)
		for v := 0; v < g.n; v++ {
			W[label[v]] += float64(g.w[v])
		}
		// The worst grid and its worst-balanced neighbour.
		worst := -1
		for p := range W {
			if !g.fixed[p] && (worst < 0 || g.cost(W[p], mean) > g.cost(W[worst], mean)) {
				worst = p
			}
		}
		if worst < 0 {
			return
		}
		if g.cost(W[worst], mean) < 0.02*0.02 { // every grid within 2%: nothing worth a re-split
			return
		}
		nbs := map[int32]bool{}
		var members []int32
		for v := 0; v < g.n; v++ {
			if label[v] != int32(worst) {
				continue
			}
			for _, u := range g.adj[v] {
				if label[u] != int32(worst) && !g.fixed[label[u]] {
					nbs[label[u]] = true
				}
			}
		}
		if len(nbs) == 0 {
			return
		}
		var pick []int32
		for p := range nbs {
			pick = append(pick, p)
		}
		slices.Sort(pick)
		other := pick[rng.IntN(len(pick))]
		for v := 0; v < g.n; v++ {
			if label[v] == int32(worst) || label[v] == other {
				members = append(members, int32(v))
			}
		}
		before := g.objective(label, k, mean, lambda)
		saved := make([]int32, len(members))
		for i, v := range members {
			saved[i] = label[v]
		}
		side := g.bestCut(rng, members, 1, 1, treesPerRecom)
		for i, v := range members {
			if side[i] {
				label[v] = int32(worst)
			} else {
				label[v] = other
			}
		}
		if g.objective(label, k, mean, lambda) >= before || !g.connected(label, int32(worst)) || !g.connected(label, other) {
			for i, v := range members {
				label[v] = saved[i]
			}
		}
	}
}

// connected reports whether part p's nodes form one component.
func (g *graph) connected(label []int32, p int32) bool {
	var start int32 = -1
	total := 0
	for v := 0; v < g.n; v++ {
		if label[v] == p {
			total++
			if start < 0 {
				start = int32(v)
			}
		}
	}
	if total == 0 {
		return false
	}
	g.stamp++
	st := g.stamp
	q := []int32{start}
	g.mark[start] = st
	seen := 1
	for len(q) > 0 {
		v := q[len(q)-1]
		q = q[:len(q)-1]
		for _, u := range g.adj[v] {
			if label[u] == p && g.mark[u] != st {
				g.mark[u] = st
				seen++
				q = append(q, u)
			}
		}
	}
	return seen == total
}

// cutEncloses reports whether a cut of the region (nodes marked st) into
// the nodes marked in sub (by local index) and the rest leaves either side
// with a hole around other nodes of the community.
func (g *graph) cutEncloses(nodes []int32, st int32, sub []bool) bool {
	a, b := g.scr.sideA[:0], g.scr.sideB[:0]
	for i, v := range nodes {
		if sub[i] {
			a = append(a, g.cells[v])
		} else {
			b = append(b, g.cells[v])
		}
	}
	g.scr.sideA, g.scr.sideB = a, b
	return g.sideEncloses(a, st, sub, true) || g.sideEncloses(b, st, sub, false)
}

// sideEncloses reports whether the side of a cut whose cells are members
// (the region's nodes marked st with sub == want) has a hole ring facing
// another node of the community: holeFacing with the side test inline.
func (g *graph) sideEncloses(members []int32, st int32, sub []bool, want bool) bool {
	t := g.t
	t.ringStart()
	for _, ci := range members {
		c := &t.cells[ci]
		for j := 0; j < 6; j++ {
			n := c.nb[j]
			f := int32(-1)
			if n >= 0 {
				if v := t.cells[n].node; v >= 0 {
					if g.mark[v] == st && sub[g.loc[v]] == want {
						continue // the same side
					}
					f = n
				}
			}
			t.ringEdge(c, j, f)
		}
	}
	return t.walkHoles() >= 0
}

type fedge struct{ from, to int32 }

// cutScratch holds bestCut's working arrays, reused across calls on one
// community (a graph is used by one goroutine).
type cutScratch struct {
	touches                 []bool
	off                     []int32
	nbr, parent, order, pos []int32
	inSub                   []uint32
	subStamp                uint32
	sideA, sideB            []int32
	keptIn                  [3][]bool
	sub                     []float64
	frontier                []fedge
}

func (sc *cutScratch) grow(n int) {
	if len(sc.parent) >= n {
		return
	}
	m := n + n/4
	sc.touches = make([]bool, m)
	sc.off = make([]int32, m+1)
	sc.parent = make([]int32, m)
	sc.pos = make([]int32, m)
	sc.inSub = make([]uint32, m)
	sc.sub = make([]float64, m)
}

// openPin makes sure the one-building grid at pinned node v does not lie in
// a hole of the grid around it: when all its neighbours are one grid, a
// corridor of that grid's cells (households avoided where possible) is
// given to it, from v to the nearest cell on that grid's border. The
// corridor is kept only if the host stays connected.
func (g *graph) openPin(v int32, label []int32) {
	own := label[v]
	host := int32(-1)
	for _, u := range g.cyc[v] {
		switch {
		case u < 0:
			return // on the community boundary
		case label[u] == own:
		case host < 0:
			host = label[u]
		case label[u] != host:
			return // touches two grids
		}
	}
	if host < 0 {
		return
	}
	border := func(x int32) bool {
		for _, u := range g.cyc[x] {
			if u < 0 || label[u] != host && label[u] != own {
				return true
			}
		}
		return g.virt[x]
	}
	// Dijkstra over the host's cells: a step costs 1, into a cell with
	// households 1000.
	dist := map[int32]int{v: 0}
	prev := map[int32]int32{}
	type item struct {
		d int
		x int32
	}
	queue := []item{{0, v}}
	end := int32(-1)
	for len(queue) > 0 {
		bi := 0
		for i := range queue {
			if queue[i].d < queue[bi].d || queue[i].d == queue[bi].d && queue[i].x < queue[bi].x {
				bi = i
			}
		}
		it := queue[bi]
		queue[bi] = queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if it.d > dist[it.x] {
			continue
		}
		if it.x != v && border(it.x) {
			end = it.x
			break
		}
		for _, u := range g.cyc[it.x] {
			if u < 0 || label[u] != host {
				continue
			}
			d := it.d + 1
			if g.w[u] > 0 {
				d += 1000
			}
			if old, ok := dist[u]; !ok || d < old {
				dist[u] = d
				prev[u] = it.x
				queue = append(queue, item{d, u})
			}
		}
	}
	if end < 0 {
		return
	}
	var path []int32
	for x := end; x != v; x = prev[x] {
		path = append(path, x)
	}
	for _, x := range path {
		label[x] = own
	}
	if !g.connected(label, host) {
		for _, x := range path {
			label[x] = host
		}
		return
	}
	for _, x := range path {
		g.pinned[x] = true
	}
}
