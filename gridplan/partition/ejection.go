package partition

import (
	"math"
	"slices"
)

// Ejection chains (path transfers) on the unit graph. Annealing moves one
// unit or swaps two; with whole towers a grid beyond the tolerance is
// often mended only by a compound move: a heavy grid a gives a unit to a
// neighbour b, b (now heavy) gives one to c, … until a grid ends within
// the tolerance, or a light grid pulls a unit from a neighbour, which pulls
// one from its own neighbour, and so on. Every step keeps both grids it
// touches connected. A chain is kept when it lowers the number of grids
// beyond the tolerance; among the chains of the least depth that do, the
// one of least balance cost plus λ per cut edge added.

// ejectDepth bounds a chain's steps, ejectBudget the steps tried from one
// out-of-band grid (a depth-first search by iterative deepening), so that
// a community of many grids out costs a bounded search each.
const (
	ejectDepth  = 6
	ejectBudget = 2_000
)

// ejectCap bounds, in tolerances, how far a chain may leave a grid from the
// mean: a chain may trade a grid within the tolerance for two beyond it,
// but not make a grid an outlier.
const ejectCap = 2.0

// ejection is a depth-first search for one chain.
type ejection struct {
	s        *unitState
	push     bool // heavy start: units go outwards; light: units come in
	inChain  []bool
	path     []ejectStep
	best     []ejectStep
	bestCost float64
	budget   int
	outStart int
	touched  []int32
	// stamps: grids a pushed unit was offered to, pulled units offered
	gSeen, uSeen     []int32
	stamp, pullStamp int32
}

type ejectStep struct {
	u        int32 // the unit moved from grid from to grid to
	v        int32 // -1, or the unit moved back from to to from (a swap)
	from, to int32
}

func (s *unitState) applyStep(st ejectStep) {
	s.apply(st.u, st.from, st.to)
	if st.v >= 0 {
		s.apply(st.v, st.to, st.from)
	}
}

func (s *unitState) undoStep(st ejectStep) {
	if st.v >= 0 {
		s.apply(st.v, st.from, st.to)
	}
	s.apply(st.u, st.to, st.from)
}

// net is the households a step moves from grid from to grid to.
func (s *unitState) net(st ejectStep) float64 {
	w := s.ug.w[st.u]
	if st.v >= 0 {
		w -= s.ug.w[st.v]
	}
	return w
}

func (s *unitState) out(w float64) bool { return math.Abs(w-s.mean) > s.tol*s.mean }

// ejectionChains applies chains while one lowers the number of grids out
// of the tolerance; it returns how many it applied.
func (s *unitState) ejectionChains(k int) int {
	e := &ejection{s: s, inChain: make([]bool, k), gSeen: make([]int32, k), uSeen: make([]int32, len(s.lab))}
	applied := 0
	for pass := 0; pass < 2*k; pass++ {
		found := false
		for a := int32(0); a < int32(k); a++ {
			if s.fixed[a] || !s.out(s.W[a]) {
				continue
			}
			if e.from(a) {
				applied++
				found = true
			}
		}
		if !found {
			break
		}
	}
	return applied
}

// from searches a chain starting at grid a (beyond the tolerance) by
// iterative deepening and applies the best chain of the least depth.
func (e *ejection) from(a int32) bool {
	s := e.s
	e.push = s.W[a] > s.mean
	e.budget = ejectBudget
	for depth := 1; depth <= ejectDepth && e.budget > 0; depth++ {
		e.best = e.best[:0]
		e.bestCost = math.Inf(1)
		e.path = e.path[:0]
		e.inChain[a] = true
		e.step(a, depth)
		e.inChain[a] = false
		if len(e.best) > 0 {
			for _, st := range e.best {
				s.applyStep(st)
			}
			return true
		}
	}
	return false
}

// apply moves unit u from grid a to grid b.
func (s *unitState) apply(u, a, b int32) {
	w := s.ug.w[u]
	s.lab[u] = b
	s.W[a] -= w
	s.W[b] += w
	s.count[a]--
	s.count[b]++
}

// step extends the chain from grid x (the last grid reached, beyond the
// tolerance in the chain's direction) by one unit, at most left more steps.
func (e *ejection) step(x int32, left int) {
	s := e.s
	if e.budget <= 0 || left == 0 {
		return
	}
	// Candidate steps: push, a unit of x to a neighbouring grid y (or
	// swapped for a lighter unit of y); pull, a unit of a neighbouring grid
	// y into x (or swapped for a lighter unit of x). Border units only.
	type cand struct {
		st  ejectStep
		dev float64
	}
	var cands []cand
	add := func(st ejectStep) {
		nw := s.W[x] - s.net(st)
		if !e.push {
			nw = s.W[x] + s.net(st)
		}
		cands = append(cands, cand{st, math.Abs(nw - s.mean)})
	}
	// step adds the move of u from grid from to grid to, and the swaps of
	// u for a lighter unit of to next to it.
	step := func(u, from, to int32) {
		add(ejectStep{u, -1, from, to})
		for _, ed := range s.ug.adj[u] {
			if v := ed.to; s.lab[v] == to && s.ug.w[v] < s.ug.w[u] {
				add(ejectStep{u, v, from, to})
			}
		}
	}
	e.pullStamp++
	for w := int32(0); w < int32(len(s.lab)); w++ {
		if s.lab[w] != x {
			continue
		}
		e.stamp++
		for _, ed := range s.ug.adj[w] {
			u := ed.to
			q := s.lab[u]
			if q == x || s.fixed[q] || e.inChain[q] {
				continue
			}
			if e.push { // w goes to q, once per grid q
				if e.gSeen[q] != e.stamp {
					e.gSeen[q] = e.stamp
					step(w, x, q)
				}
			} else if e.uSeen[u] != e.pullStamp { // u comes in from q, once
				e.uSeen[u] = e.pullStamp
				step(u, q, x)
			}
		}
	}
	// The steps that bring x nearest the mean first.
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.dev < b.dev:
			return -1
		case a.dev > b.dev:
			return 1
		}
		return 0
	})
	for _, c := range cands {
		if e.budget <= 0 {
			return
		}
		e.budget--
		st := c.st
		y := st.to // the grid the chain goes on from
		if !e.push {
			y = st.from
		}
		if st.v < 0 {
			if !s.connectedWithout(st.from, st.u, -1) {
				continue
			}
			s.applyStep(st)
		} else {
			s.applyStep(st)
			if !s.connectedAfterSwap(st.from, st.v) || !s.connectedAfterSwap(st.to, st.u) {
				s.undoStep(st)
				continue
			}
		}
		e.path = append(e.path, st)
		e.inChain[y] = true
		if e.gain() < 0 {
			if f := e.cost(); f < e.bestCost {
				e.bestCost = f
				e.best = append(e.best[:0], e.path...)
			}
		} else if left > 1 && s.out(s.W[y]) && (s.W[y] > s.mean) == e.push {
			e.step(y, left-1)
		}
		e.inChain[y] = false
		e.path = e.path[:len(e.path)-1]
		s.undoStep(st)
	}
}

// gain is the change in grids beyond the tolerance the current chain
// makes (negative: fewer); a chain that takes a grid beyond the tolerance,
// or one beyond it further, gains nothing.
func (e *ejection) gain() int {
	s := e.s
	e.touched = e.touched[:0]
	for _, st := range e.path {
		for _, p := range []int32{st.from, st.to} {
			if !slices.Contains(e.touched, p) {
				e.touched = append(e.touched, p)
			}
		}
	}
	d := 0
	for _, p := range e.touched {
		before := s.W[p]
		for _, st := range e.path {
			if st.from == p {
				before += s.net(st)
			}
			if st.to == p {
				before -= s.net(st)
			}
		}
		switch after := s.W[p]; {
		case !s.out(after):
			if s.out(before) {
				d--
			}
		case math.Abs(after-s.mean) > ejectCap*s.tol*s.mean:
			return 1 // no grid pushed far beyond the tolerance
		case !s.out(before):
			d++
		}
	}
	return d
}

// cost is the touched grids' balance cost plus λ per cut edge of the
// chain's units (after the chain), to choose among chains of one depth.
func (e *ejection) cost() float64 {
	s := e.s
	f := 0.0
	for _, p := range e.touched {
		f += s.gridCost(s.W[p])
	}
	for _, st := range e.path {
		f += s.lambda * float64(s.cutOf(st.u, st.from)-s.cutOf(st.u, st.to))
		if st.v >= 0 {
			f += s.lambda * float64(s.cutOf(st.v, st.to)-s.cutOf(st.v, st.from))
		}
	}
	return f
}
