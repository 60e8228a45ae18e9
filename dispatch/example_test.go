package dispatch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/gridplan"
)

func square(x0, y0, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}}
}

// One street with one community split into two grids, two workers and one
// patrol.
func example() (*bundle.Bundle, []gridplan.Grid) {
	b := &bundle.Bundle{
		Streets:     []bundle.Street{{Code: "320111001", Name: "泰山街道", Geom: square(118.70, 32.10, 0.01)}},
		Communities: []bundle.Community{{Code: "320111001001", Name: "浦珠社区", Street: "320111001", Kind: bundle.Urban, Geom: square(118.70, 32.10, 0.01)}},
		Facilities: []bundle.Facility{
			{Kind: bundle.Subcentre, Code: "SC001", Name: "泰山联勤分中心", Street: "320111001", Loc: orb.Point{118.705, 32.105}},
			{Kind: bundle.Workstation, Code: "WS001", Name: "浦珠工作站", Street: "320111001", Community: "320111001001", Loc: orb.Point{118.702, 32.102}},
		},
		Patrols: []bundle.Patrol{{ID: "PT001", Callsign: "泰山巡01", Loc: orb.Point{118.701, 32.101}, Street: "320111001"}},
		Workers: []bundle.Worker{{ID: "W2", Name: "李四", Community: "320111001001"}, {ID: "W1", Name: "张三", Community: "320111001001"}},
	}
	grids := []gridplan.Grid{
		{Code: "320111001001001", Community: "320111001001", Street: "320111001", Households: 480, Geom: orb.MultiPolygon{{{{118.70, 32.10}, {118.705, 32.10}, {118.705, 32.11}, {118.70, 32.11}, {118.70, 32.10}}}}},
		{Code: "320111001001002", Community: "320111001001", Street: "320111001", Households: 510, Geom: orb.MultiPolygon{{{{118.705, 32.10}, {118.71, 32.10}, {118.71, 32.11}, {118.705, 32.11}, {118.705, 32.10}}}}},
	}
	return b, grids
}

func ExampleDirectory_Locate() {
	b, grids := example()
	d, err := dispatch.NewDirectory(b, grids, nil) // patrols start at home, available
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := d.Locate(118.7022, 32.1025, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	// workers are dealt by id over grids in code order: W1 → grid 001
	fmt.Println(a.Street.Name, a.Community.Name, a.Grid.Code, a.Workers[0].Name)
	fmt.Printf("%s %.0f m, patrol %s %.0f m\n", a.Subcentre.Name, a.Subcentre.DistanceM, a.Patrols[0].Callsign, a.Patrols[0].DistanceM)
	js, _ := json.MarshalIndent(a.Grid, "", "")
	os.Stdout.Write(append(js, '\n'))
	// Output:
	// 泰山街道 浦珠社区 320111001001001 张三
	// 泰山联勤分中心 384 m, patrol 泰山巡01 202 m
	// {
	// "code": "320111001001001",
	// "households": 480
	// }
}

func ExampleOutsideError() {
	b, grids := example()
	d, _ := dispatch.NewDirectory(b, grids, nil)
	_, err := d.Locate(118.72, 32.105, 3)
	var oe *dispatch.OutsideError
	if errors.As(err, &oe) {
		fmt.Printf("outside; nearest grid %s at %.0f m\n", oe.NearestGrid, oe.DistanceM)
	}
	// Output:
	// outside; nearest grid 320111001001002 at 943 m
}

func ExampleDirectory_SetUnit() {
	b, grids := example()
	d, _ := dispatch.NewDirectory(b, grids, nil)
	if err := d.SetUnit("PT001", 118.701, 32.101, 2 /* geo.UnitBusy */); err != nil {
		fmt.Println(err)
	}
	a, _ := d.Locate(118.7022, 32.1025, 3)
	fmt.Println(len(a.Patrols), "available patrols")
	fmt.Println(d.SetUnit("PT999", 118.7, 32.1, 1))
	// Output:
	// 0 available patrols
	// not_found: id: no unit "PT999"
}
