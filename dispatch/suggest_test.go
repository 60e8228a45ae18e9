package dispatch

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

func TestSuggest(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	here := orb.Point{118.624, 32.105} // street 2
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	offP4 := func(id string, _ time.Time) bool { return id != "P4" }
	tests := []struct {
		name   string
		kinds  []UnitKind
		k      int
		busy   []string
		onDuty func(string, time.Time) bool
		want   []string
		same   []bool
	}{
		{"street first", []UnitKind{KindPatrol}, 3, nil, nil, []string{"P3", "P4", "P5"}, []bool{true, true, true}},
		{"then the district", []UnitKind{KindPatrol}, 4, nil, nil, []string{"P3", "P4", "P5", "P2"}, []bool{true, true, true, false}},
		{"busy skipped", []UnitKind{KindPatrol}, 3, []string{"P3"}, nil, []string{"P4", "P5", "P2"}, []bool{true, true, false}},
		{"off shift skipped", []UnitKind{KindPatrol}, 3, nil, offP4, []string{"P3", "P5", "P2"}, []bool{true, true, false}},
		{"workers", []UnitKind{KindWorker}, 2, nil, nil, []string{"002001-w1", "002001-w2"}, []bool{true, true}},
		{"both kinds", nil, 2, nil, nil, []string{"002001-w1", "002001-w2"}, []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range tc.busy {
				d.SetUnitStatus(id, StatusBusy)
			}
			defer func() {
				for _, id := range tc.busy {
					d.SetUnitStatus(id, StatusAvailable)
				}
			}()
			got, err := d.Suggest(SuggestQuery{Lon: here[0], Lat: here[1], Kinds: tc.kinds, K: tc.k, At: at, OnDuty: tc.onDuty})
			if err != nil {
				t.Fatal(err)
			}
			ids, same := make([]string, len(got)), make([]bool, len(got))
			for i, s := range got {
				ids[i], same[i] = s.Unit, s.SameStreet
				lon, lat, _, _ := d.indexOf(s.Unit).Get(s.Unit)
				dist := geo.DistanceM(here, orb.Point{lon, lat})
				kmh := DefaultSpeeds.PatrolKmh
				if s.Kind == KindWorker {
					kmh = DefaultSpeeds.WorkerKmh
				}
				if math.Abs(s.DistanceM-dist) > 0.01 || math.Abs(s.EtaS-dist/(kmh/3.6)) > 0.5 {
					t.Errorf("%s: %.1f m, %.0f s; want %.1f m, %.0f s", s.Unit, s.DistanceM, s.EtaS, dist, dist/(kmh/3.6))
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) || fmt.Sprint(same) != fmt.Sprint(tc.same) {
				t.Fatalf("got %v %v, want %v %v", ids, same, tc.want, tc.same)
			}
		})
	}
	for _, bad := range []SuggestQuery{
		{Lon: math.NaN(), Lat: 32.1, K: 1},
		{Lon: here[0], Lat: here[1], K: 0},
		{Lon: here[0], Lat: here[1], K: 1, Speeds: Speeds{PatrolKmh: -1, WorkerKmh: 4}},
	} {
		if _, err := d.Suggest(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("Suggest(%+v): %v, want Invalid", bad, err)
		}
	}
}

func TestLiveIndexAndWorkers(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Workers are units: their home is their work station, SetUnit moves them.
	if err := d.SetUnit("001001-w1", 118.6011, 32.1011, geo.UnitAvailable); err != nil {
		t.Fatal(err)
	}
	a, err := d.Locate(118.601, 32.101, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Patrols {
		if p.ID == "001001-w1" {
			t.Fatalf("/locate's patrols list a worker: %v", a.Patrols)
		}
	}
	if g := d.WorkerGrid("001001-w1"); g == "" || g.Community() != "320111001001" {
		t.Fatalf("worker grid %q", g)
	}
	held := orb.Point{118.603, 32.103}
	if err := d.LoadUnits([]Unit{
		{ID: "P1", Loc: &held, ReportedStatus: StatusAvailable, HeldCase: 9},
		{ID: "P2", ReportedStatus: StatusOffDuty},
		{ID: "ghost", Loc: &held, ReportedStatus: StatusAvailable},
		{ID: "002001-w3", Loc: &held, ReportedStatus: StatusBusy},
	}); err != nil {
		t.Fatal(err)
	}
	ix := d.Units()
	if lon, lat, st, ok := ix.Get("P1"); !ok || st != geo.UnitBusy || lon != held[0] || lat != held[1] {
		t.Fatalf("P1 in the live index: %v %v %v %v", lon, lat, st, ok)
	}
	if _, _, st, _ := ix.Get("P2"); st != geo.UnitOffline {
		t.Fatalf("P2 %v, want off duty", st)
	}
	if _, _, _, ok := ix.Get("ghost"); ok {
		t.Fatal("a unit the bundle does not know is in the index")
	}
	if _, _, _, ok := ix.Get("002001-w3"); ok {
		t.Fatal("a worker is in the patrols' index")
	}
	if st, ok := d.UnitStatusOf("002001-w3"); !ok || st != StatusBusy {
		t.Fatalf("worker status %q %v", st, ok)
	}
}

func TestLocateFollowsDuty(t *testing.T) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		a, err := d.Locate(118.601, 32.101, 2)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range a.Patrols {
			out = append(out, p.ID)
		}
		return out
	}
	if got := fmt.Sprint(ids()); got != "[P1 P2]" {
		t.Fatalf("on duty: %s", got)
	}
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	var asked time.Time
	d.SetOnDuty(func(id string, t time.Time) bool { asked = t; return id != "P1" }, func() time.Time { return at })
	if got := fmt.Sprint(ids()); got != "[P2 P3]" || !asked.Equal(at) {
		t.Fatalf("P1 off shift: %s (asked at %v)", got, asked)
	}
	d.SetOnDuty(nil, nil)
	if got := fmt.Sprint(ids()); got != "[P1 P2]" {
		t.Fatalf("filter removed: %s", got)
	}
}
