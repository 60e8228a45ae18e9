package gridplan_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

func ExampleWriteGeoJSON() {
	grids := []gridplan.Grid{{
		Code: "320111001001001", Community: "320111001001", Street: "320111001",
		Kind: bundle.Urban, Households: 512, Target: 500,
		Geom: orb.MultiPolygon{{{{118.6, 32.05}, {118.61, 32.05}, {118.61, 32.06}, {118.6, 32.05}}}},
	}}
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, grids); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(buf.String())
	// Output:
	// {"type":"FeatureCollection","features":[
	// {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.6,32.05],[118.61,32.05],[118.61,32.06],[118.6,32.05]]]},"properties":{"code":"320111001001001","community_code":"320111001001","households":512,"kind":"urban","street_code":"320111001","target":500}}
	// ]}
}

func ExampleReadGeoJSON() {
	in := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.6,32.05],[118.61,32.05],[118.61,32.06],[118.6,32.05]]]},"properties":{"code":"320111001002001","community_code":"320111001001","street_code":"320111001","kind":"urban","households":512,"target":500}}
]}`
	_, err := gridplan.ReadGeoJSON(strings.NewReader(in))
	var problems errs.List
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Println(p)
		}
	}
	in = strings.Replace(in, "320111001002001", "320111001001001", 1)
	grids, err := gridplan.ReadGeoJSON(strings.NewReader(in))
	fmt.Println(len(grids), grids[0].Code, grids[0].Households, err)
	// Output:
	// invalid: plan: feature 0: code 320111001002001 does not start with community_code 320111001001
	// 1 320111001001001 512 <nil>
}
