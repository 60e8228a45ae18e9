package dispatch

import (
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// TestUnitEventsOutOfOrder: reports and status changes applied in any
// order leave a unit where its latest report put it, with its latest
// status: an older report arriving late is ignored (as the store keeps it
// in history), so is an older status change; a report's status gives way
// to a later status change; what the store says now (SetUnitStatusAt)
// always applies.
func TestUnitEventsOutOfOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		kind    string // "report", "status" (an event), "store" (read from the store now)
		lon     float64
		st      UnitStatus
		at      int
		applied bool
	}
	rep := func(lon float64, st UnitStatus, s int, applied bool) step {
		return step{"report", lon, st, s, applied}
	}
	stat := func(st UnitStatus, s int, applied bool) step { return step{"status", 0, st, s, applied} }
	store := func(st UnitStatus, s int) step { return step{"store", 0, st, s, true} }
	cases := []struct {
		name    string
		steps   []step
		wantLon float64
		wantSt  UnitStatus
	}{
		{"in order", []step{rep(118.61, StatusAvailable, 10, true), rep(118.62, StatusAvailable, 20, true)}, 118.62, StatusAvailable},
		{"older report late", []step{rep(118.62, StatusAvailable, 20, true), rep(118.61, StatusOffDuty, 10, false)}, 118.62, StatusAvailable},
		{"older than the loaded report", []step{rep(118.61, StatusAvailable, -5, false)}, 118.601, StatusAvailable},
		{"same report twice", []step{rep(118.62, StatusAvailable, 20, true), rep(118.62, StatusAvailable, 20, true)}, 118.62, StatusAvailable},
		{"status then older status", []step{stat(StatusBusy, 30, true), stat(StatusAvailable, 25, false)}, 118.601, StatusBusy},
		{"report's status gives way to a later change", []step{stat(StatusBusy, 30, true), rep(118.63, StatusAvailable, 25, true)}, 118.63, StatusBusy},
		{"later report's status wins", []step{stat(StatusBusy, 30, true), rep(118.63, StatusAvailable, 40, true)}, 118.63, StatusAvailable},
		{"status older than the report held", []step{rep(118.63, StatusOffDuty, 40, true), stat(StatusAvailable, 30, false)}, 118.63, StatusOffDuty},
		{"the store's word applies whatever came before", []step{stat(StatusBusy, 50, true), store(StatusAvailable, 45)}, 118.601, StatusAvailable},
		{"and an older change after it is ignored", []step{store(StatusBusy, 50), stat(StatusAvailable, 45, false)}, 118.601, StatusBusy},
		{"replica B's older events after A's", []step{
			rep(118.65, StatusAvailable, 60, true), stat(StatusBusy, 61, true), // A: reported, then dispatched
			rep(118.64, StatusAvailable, 55, false), stat(StatusAvailable, 56, false), // B's, appended late
		}, 118.65, StatusBusy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, grids := smallDistrict()
			d, err := NewDirectory(b, grids, nil)
			if err != nil {
				t.Fatal(err)
			}
			loaded, home := at(0), orb.Point{118.601, 32.101}
			if err := d.LoadUnits([]Unit{{ID: "P1", Kind: KindPatrol, Loc: &home, ReportedStatus: StatusAvailable, ReportedAt: &loaded}}); err != nil {
				t.Fatal(err)
			}
			for i, s := range c.steps {
				var applied bool
				switch s.kind {
				case "report":
					applied, err = d.ReportUnit("P1", s.lon, 32.101, s.st, at(s.at))
					if err != nil {
						t.Fatal(err)
					}
				case "status":
					var known bool
					applied, known = d.ApplyUnitStatus("P1", s.st, at(s.at))
					if !known {
						t.Fatal("P1 unknown")
					}
				case "store":
					applied = d.SetUnitStatusAt("P1", s.st, at(s.at))
				}
				if applied != s.applied {
					t.Errorf("step %d %+v: applied %v", i, s, applied)
				}
			}
			lon, _, _, _ := d.units.Get("P1")
			st, _ := d.UnitStatusOf("P1")
			if lon != c.wantLon || st != c.wantSt {
				t.Errorf("P1 at lon %.3f %s, want %.3f %s", lon, st, c.wantLon, c.wantSt)
			}
		})
	}
}

// TestUnitEventsConcurrent: reports applied from many goroutines in any
// order end at the latest one.
func TestUnitEventsConcurrent(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	const n = 200
	lonOf := func(i int) float64 { return 118.6 + float64(i)/10000 }
	for i := n; i > 0; i-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.ReportUnit("P1", lonOf(i), 32.1, StatusAvailable, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if lon, _, _, _ := d.units.Get("P1"); lon != lonOf(n) {
		t.Errorf("P1 at lon %v after reports in any order, want the latest's %v", lon, lonOf(n))
	}
}
