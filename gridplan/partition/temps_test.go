package partition

import (
	"math"
	"testing"
)

// TestTempMemo: the memo answers what the schedule computes, for every
// step, again after a different schedule and after a shorter one.
func TestTempMemo(t *testing.T) {
	var m tempMemo
	for _, c := range []struct {
		iters  int
		t0, t1 float64
		kept   bool // the memo holds these values already
	}{
		{1000, 0.3, 1e-4, false},
		{1000, 0.3, 1e-4, true},  // same schedule
		{1000, 0.5, 1e-4, false}, // another start temperature
		{1000, 0.5, 1e-3, false}, // another end temperature
		{10, 0.5, 1e-3, false},   // fewer steps
		{2000, 0.5, 1e-3, false}, // more steps
	} {
		calls := 0
		temp := func(it int) float64 {
			calls++
			return c.t0 * math.Pow(c.t1/c.t0, float64(it)/float64(c.iters))
		}
		got := m.memo(c.iters, c.t0, c.t1, temp)
		for it := 0; it < c.iters; it += 7 {
			if want := c.t0 * math.Pow(c.t1/c.t0, float64(it)/float64(c.iters)); got(it) != want {
				t.Fatalf("%+v: step %d = %v, want %v", c, it, got(it), want)
			}
		}
		if c.kept && calls > 0 {
			t.Errorf("%+v: schedule computed %d times, want none (kept)", c, calls)
		}
		if calls > (c.iters+6)/7 {
			t.Errorf("%+v: schedule computed %d times for %d steps asked", c, calls, (c.iters+6)/7)
		}
	}
}
