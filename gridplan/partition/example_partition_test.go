package partition_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

func ExamplePlan() {
	// One urban community of about 2 × 1.7 km with 60 buildings of 35
	// households: 2,100 households make 4 grids of 525 (5 of 420 would be
	// further from the 500 target).
	square := orb.Ring{{118.70, 32.10}, {118.72, 32.10}, {118.72, 32.115}, {118.70, 32.115}, {118.70, 32.10}}
	b := &bundle.Bundle{
		Communities: []bundle.Community{{Code: "320111001001", Street: "320111001", Kind: bundle.Urban,
			Geom: orb.MultiPolygon{{square}}}},
	}
	for i := 0; i < 60; i++ {
		b.Buildings = append(b.Buildings, bundle.Building{ID: bundle.BuildingID(strconv.Itoa(i + 1)), Households: 35,
			Loc: orb.Point{118.7015 + 0.0017*float64(i%10), 32.1015 + 0.0022*float64(i/10)}})
	}
	plan, rep, err := partition.Plan(context.Background(), b, gridplan.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range plan.Grids {
		fmt.Println(g.Code, g.Households, len(g.Geom))
	}
	fmt.Printf("within ±10%% of the mean: %.0f%%\n", 100*rep.WithinCommunityMeanShare)
	// Output:
	// 320111001001001 525 1
	// 320111001001002 525 1
	// 320111001001003 525 1
	// 320111001001004 525 1
	// within ±10% of the mean: 100%
}
