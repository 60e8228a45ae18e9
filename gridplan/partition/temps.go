package partition

// tempMemo keeps an annealing schedule's temperatures per step. A
// community's unit search anneals with one schedule in every run and
// start, so math.Pow runs once a step for the community instead of once
// per run and start (see README, Speed). The schedule is keyed by its step
// count and end temperatures, so a different schedule starts afresh.
type tempMemo struct {
	iters  int
	t0, t1 float64
	t      []float64 // 0: not computed yet (a temperature is positive)
}

// memo returns temp (the schedule t0 → t1 over iters steps) remembering
// each step's value.
func (m *tempMemo) memo(iters int, t0, t1 float64, temp func(it int) float64) func(it int) float64 {
	if m.iters != iters || m.t0 != t0 || m.t1 != t1 || len(m.t) != iters {
		m.iters, m.t0, m.t1 = iters, t0, t1
		if cap(m.t) >= iters {
			m.t = m.t[:iters]
			clear(m.t)
		} else {
			m.t = make([]float64, iters)
		}
	}
	t := m.t
	return func(it int) float64 {
		if v := t[it]; v != 0 {
			return v
		}
		v := temp(it)
		t[it] = v
		return v
	}
}
