package dispatch

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

func sh(subject string, fromH, toH float64) Shift {
	s := Shift{Subject: subject, Start: t0.Add(time.Duration(fromH * float64(time.Hour))), End: t0.Add(time.Duration(toH * float64(time.Hour)))}
	return s.Normal()
}

func TestRosterOnDuty(t *testing.T) {
	r := NewRoster([]Shift{
		sh("P1", 0, 8), sh("P1", 16, 24), // two shifts with a gap
		sh("P2", 8, 16), sh("P2", 12, 20), // overlapping shifts merge
		sh("C1", 0, 24), sh("C1", 24, 48), // back to back
	})
	cases := []struct {
		subject string
		atH     float64
		want    bool
	}{
		{"P1", -0.001, false},
		{"P1", 0, true}, // start is inside
		{"P1", 7.999, true},
		{"P1", 8, false}, // end is outside
		{"P1", 12, false},
		{"P1", 16, true},
		{"P1", 24, false},
		{"P2", 7.9, false},
		{"P2", 14, true},
		{"P2", 19.99, true},
		{"P2", 20, false},
		{"C1", 24, true}, // handover instant: on duty (the next shift)
		{"C1", 47.99, true},
		{"C1", 48, false},
		{"W9", 3, true}, // no shifts: the default 24-hour duty
		{"W9", -1000, true},
	}
	for _, c := range cases {
		at := t0.Add(time.Duration(c.atH * float64(time.Hour)))
		if got := r.OnDuty(c.subject, at); got != c.want {
			t.Errorf("OnDuty(%s, +%vh) = %v, want %v", c.subject, c.atH, got, c.want)
		}
	}
	var nilR *Roster
	if !nilR.OnDuty("P1", t0) || nilR.OnDutyAt(t0) != nil || nilR.Len() != 0 {
		t.Error("a nil roster: everyone on duty, no shifts")
	}
	if !r.HasShifts("P1") || r.HasShifts("W9") {
		t.Error("HasShifts")
	}
}

func TestRosterOnDutyAt(t *testing.T) {
	shifts := []Shift{sh("P1", 0, 8), sh("P2", 6, 14), sh("P3", 8, 16), sh("C1", -24, 1), sh("C1", 1, 25)}
	r := NewRoster(shifts)
	cases := []struct {
		atH  float64
		want []string
	}{
		{0, []string{"C1", "P1"}},
		{0.5, []string{"C1", "P1"}},
		{1, []string{"P1", "C1"}}, // ordered by start
		{7, []string{"P1", "C1", "P2"}},
		{8, []string{"C1", "P2", "P3"}},
		{16, []string{"C1"}},
		{25, nil},
		{-30, nil},
	}
	for _, c := range cases {
		got := r.OnDutyAt(t0.Add(time.Duration(c.atH * float64(time.Hour))))
		var subj []string
		for _, s := range got {
			subj = append(subj, s.Subject)
		}
		if fmt.Sprint(subj) != fmt.Sprint(c.want) {
			t.Errorf("OnDutyAt(+%vh) = %v, want %v", c.atH, subj, c.want)
		}
	}
}

// TestRosterAgainstScan checks OnDuty and OnDutyAt against the plain
// definition over random rosters.
func TestRosterAgainstScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var shifts []Shift
		for i := 0; i < 40; i++ {
			from := rng.Float64()*72 - 24
			shifts = append(shifts, sh(fmt.Sprintf("U%d", rng.IntN(6)), from, from+0.5+rng.Float64()*30))
		}
		r := NewRoster(shifts)
		for q := 0; q < 200; q++ {
			at := t0.Add(time.Duration((rng.Float64()*100 - 30) * float64(time.Hour)))
			if q%7 == 0 {
				at = shifts[rng.IntN(len(shifts))].End // boundaries
			}
			if q%11 == 0 {
				at = shifts[rng.IntN(len(shifts))].Start
			}
			subj := fmt.Sprintf("U%d", rng.IntN(7))
			want, has, n := false, false, 0
			for _, s := range shifts {
				in := !at.Before(s.Start) && at.Before(s.End)
				if s.Subject == subj {
					has = true
					want = want || in
				}
				if in {
					n++
				}
			}
			if !has {
				want = true
			}
			if got := r.OnDuty(subj, at); got != want {
				t.Fatalf("round %d: OnDuty(%s, %v) = %v, want %v", round, subj, at, got, want)
			}
			if got := len(r.OnDutyAt(at)); got != n {
				t.Fatalf("round %d: OnDutyAt(%v) has %d shifts, want %d", round, at, got, n)
			}
		}
	}
}

func BenchmarkRosterOnDuty(b *testing.B) {
	// 300 units, one 8-hour shift a day each (staggered in thirds), 30 days.
	var shifts []Shift
	for u := 0; u < 300; u++ {
		for d := 0; d < 30; d++ {
			h := float64(d*24 + (u%3)*8)
			shifts = append(shifts, sh(fmt.Sprintf("P%03d", u), h, h+8))
		}
	}
	r := NewRoster(shifts)
	subjects := make([]string, 300)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("P%03d", i)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if r.OnDuty(subjects[i%300], t0.Add(time.Duration(i%720)*time.Hour)) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("nobody on duty")
	}
}

func ExampleRoster_OnDuty() {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	r := NewRoster([]Shift{{ID: "s1", Subject: "P001", Start: day, End: day.Add(8 * time.Hour)}})
	fmt.Println(r.OnDuty("P001", day))                   // the start is inside
	fmt.Println(r.OnDuty("P001", day.Add(8*time.Hour)))  // the end is not
	fmt.Println(r.OnDuty("W0001", day.Add(8*time.Hour))) // no shifts: 24-hour duty
	// Output:
	// true
	// false
	// true
}

func BenchmarkRosterOnDutyAt(b *testing.B) {
	var shifts []Shift
	for u := 0; u < 300; u++ {
		for d := 0; d < 30; d++ {
			h := float64(d*24 + (u%3)*8)
			shifts = append(shifts, sh(fmt.Sprintf("P%03d", u), h, h+8))
		}
	}
	r := NewRoster(shifts)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n += len(r.OnDutyAt(t0.Add(time.Duration(i%720) * time.Hour)))
	}
	if n == 0 {
		b.Fatal("nobody on duty")
	}
}
