package dispatch_test

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
)

func ExampleDirectory_Suggest() {
	b, grids := example()
	d, _ := dispatch.NewDirectory(b, grids, nil)
	// A worker reports from near the incident; the patrol is off shift.
	_ = d.SetUnit("W1", 118.7081, 32.1081, 1 /* geo.UnitAvailable */)
	onDuty := func(id string, _ time.Time) bool { return id != "PT001" }
	ss, _ := d.Suggest(dispatch.SuggestQuery{Lon: 118.708, Lat: 32.108, K: 3, OnDuty: onDuty})
	for _, s := range ss {
		fmt.Printf("%s %s %.0f m %.0f s\n", s.Unit, s.Kind, s.DistanceM, s.EtaS)
	}
	// Output:
	// W1 worker 15 m 12 s
	// W2 worker 875 m 700 s
}

func ExamplePositionReport_Validate() {
	r := dispatch.PositionReport{Unit: "PT001", Loc: orb.Point{118.7, 95}, At: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), Status: dispatch.StatusAvailable}
	fmt.Println(r.Validate())
	fmt.Println(dispatch.AtIndex(3, r.Validate()))
	// Output:
	// invalid: lat: coordinate (118.7, 95) is outside lon [-180, 180], lat [-90, 90]
	// invalid: [3].lat: coordinate (118.7, 95) is outside lon [-180, 180], lat [-90, 90]
}
